"""Tenant scoping: the one place a request gets its organisation and membership.

Every organisation page lives under ``/o/<org>/``. ``OrgRequiredMixin`` resolves
the slug to an organisation *through the user's active membership*, so a user of
another organisation gets 404 — the same answer as for a slug that does not exist.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from accounts.models import Membership
from accounts.permissions import role_can

SESSION_ORG_KEY = "current_org"


def membership_for(request: HttpRequest, slug: str) -> Membership:
    """Return the user's active membership of the organisation ``slug``, or raise 404."""
    if not request.user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.active()
        .select_related("organisation", "user", "unit")
        .filter(user=request.user, organisation__slug=slug)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


class OrgRequiredMixin(LoginRequiredMixin):
    """Resolve ``request.organisation`` and ``request.membership``; enforce ``capability``."""

    capability: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = membership_for(request, kwargs["org"])
        request.membership = membership
        request.organisation = membership.organisation
        # Write the session only when the organisation changes: a session save on every
        # request would contend with long writes (imports) for SQLite's single writer.
        if request.session.get(SESSION_ORG_KEY) != membership.organisation.slug:
            request.session[SESSION_ORG_KEY] = membership.organisation.slug
        if self.capability and not self.can(self.capability):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def can(self, capability: str) -> bool:
        return role_can(self.request.membership.role, capability)

    @property
    def organisation(self):
        return self.request.organisation

    @property
    def membership(self):
        return self.request.membership
