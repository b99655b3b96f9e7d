from accounts.permissions import capabilities_of


def navigation(request):
    """Expose the current membership, its capabilities and the user's other organisations."""
    membership = getattr(request, "membership", None)
    context = {"membership": membership, "caps": frozenset(), "current_org": None}
    if membership is not None:
        context["caps"] = capabilities_of(membership.role)
        context["current_org"] = membership.organisation
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # A callable, so the query runs only on pages that show the switcher.
        context["my_organisations"] = lambda: [
            m.organisation for m in user.memberships.active().select_related("organisation")
        ]
    return context
