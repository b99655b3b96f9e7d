from django import template

from portal.selectors import follower_count

register = template.Library()


@register.simple_tag
def portal_follower_count(point) -> int:
    """Return how many customers follow ``point`` in the portal (a count, no names)."""
    return follower_count(point)
