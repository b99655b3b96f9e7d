"""The customer portal's pages. Customers have no account: they come in through a
magic link, whose session (``accounts.views.CUSTOMER_SESSION_KEY``) names their contact.
The e-mails' unsubscribe link works without a session, by its signed token."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from portal import selectors, services
from portal.forms import PreferenceForm


def _refused(request):
    return render(request, "accounts/magic_link_invalid.html", status=403)


class PortalView(View):
    """You said, we did: the points from what this customer told us, and their status."""

    def get(self, request):
        contact = selectors.portal_contact(request.session)
        if contact is None:
            return _refused(request)
        response = render(request, "portal/home.html", {"portal": selectors.portal_of(contact)})
        response["Cache-Control"] = "private, no-store"
        return response


class PreferenceView(View):
    """Turn the e-mail about status changes on or off."""

    def post(self, request):
        contact = selectors.portal_contact(request.session)
        if contact is None:
            return _refused(request)
        form = PreferenceForm(request.POST)
        if form.is_valid():
            notify = form.cleaned_data["notify"]
            services.portal_preference_set(contact=contact, notify=notify)
            messages.success(request, _("We will e-mail you when one of your points changes.") if notify
                             else _("You will no longer receive e-mail about your points."))
        return redirect("portal:home")


@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    """Stop the e-mail from the e-mail itself.

    A GET only asks for confirmation, because mail scanners open links by themselves;
    the POST unsubscribes. It is exempt from CSRF because mail clients send the one-click
    POST of RFC 8058 (``List-Unsubscribe-Post``) without cookies; the signed token in the
    URL is what authorises it, and it can only ever turn e-mail off.
    """

    def contact(self, token):
        return services.unsubscribe_contact(token)

    def get(self, request, token):
        contact = self.contact(token)
        if contact is None:
            return render(request, "portal/unsubscribe.html", {"invalid": True}, status=404)
        return render(request, "portal/unsubscribe.html", {
            "organisation": contact.customer.organisation,
            "done": not selectors.wants_email(contact)})

    def post(self, request, token):
        contact = self.contact(token)
        if contact is None:
            return render(request, "portal/unsubscribe.html", {"invalid": True}, status=404)
        services.portal_preference_set(contact=contact, notify=False)
        return render(request, "portal/unsubscribe.html", {
            "organisation": contact.customer.organisation, "done": True})
