"""Template helpers for the improvement pages."""

from django import template

from improvements.models import ActionStatus

register = template.Library()


@register.simple_tag
def action_statuses():
    """Return the action statuses as (value, label) pairs, for the inline status selects."""
    return ActionStatus.choices
