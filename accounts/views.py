from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import TemplateView

from accounts import services
from accounts.forms import EmailAuthenticationForm
from accounts.models import MagicLinkPurpose, Membership
from accounts.tenancy import SESSION_ORG_KEY

CUSTOMER_SESSION_KEY = "customer_access"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class HomeView(LoginRequiredMixin, View):
    """Send the user to the organisation they last worked in, or let them choose."""

    def get(self, request):
        memberships = list(
            Membership.objects.active().filter(user=request.user).select_related("organisation")
        )
        last = request.session.get(SESSION_ORG_KEY)
        for membership in memberships:
            if membership.organisation.slug == last:
                return redirect("org:dashboard", org=last)
        if len(memberships) == 1:
            return redirect("org:dashboard", org=memberships[0].organisation.slug)
        return render(request, "accounts/choose_organisation.html",
                      {"memberships": memberships})


class ChooseOrganisationView(LoginRequiredMixin, View):
    def get(self, request):
        memberships = (
            Membership.objects.active().filter(user=request.user).select_related("organisation")
        )
        return render(request, "accounts/choose_organisation.html",
                      {"memberships": memberships})


class MagicLinkView(View):
    """Exchange a magic-link token for a customer session, then drop the token from the URL."""

    def get(self, request, token: str):
        try:
            link = services.magic_link_redeem(token=token)
        except services.MagicLinkInvalid:
            return render(request, "accounts/magic_link_invalid.html", status=410)
        request.session.cycle_key()
        request.session[CUSTOMER_SESSION_KEY] = {
            "contact": link.contact_id,
            "organisation": link.organisation_id,
            "purpose": link.purpose,
            "link": link.pk,
        }
        if link.purpose == MagicLinkPurpose.SURVEY:
            # The survey can be continued and corrected from this device while the link
            # would have been valid, not only for the staff session length.
            request.session.set_expiry(link.expires_at)
            return redirect(reverse("survey:start"))
        if link.purpose == MagicLinkPurpose.ARENA:
            # Valid until the day after the arena: RSVP now, join from the same phone then.
            request.session.set_expiry(link.expires_at)
            return redirect(reverse("arena_customer:home"))
        if link.purpose == MagicLinkPurpose.DELEGATE:
            # A delegate sits in the group for months: the session lasts as long as the link.
            request.session.set_expiry(link.expires_at)
            return redirect(reverse("cocreation_delegate:home"))
        if link.purpose == MagicLinkPurpose.PORTAL:
            return redirect(reverse("portal:home"))
        return redirect(reverse("accounts:customer_home"))


class CustomerHomeView(TemplateView):
    """The landing page of a customer who came in through a magic link."""

    template_name = "accounts/customer_home.html"

    def get(self, request, *args, **kwargs):
        from org.models import Contact

        access = request.session.get(CUSTOMER_SESSION_KEY)
        contact = None
        if access:
            contact = (
                Contact.objects.select_related("customer__organisation")
                .filter(pk=access["contact"], customer__organisation_id=access["organisation"])
                .first()
            )
        if contact is None:
            return render(request, "accounts/magic_link_invalid.html", status=403)
        if access["purpose"] == MagicLinkPurpose.SURVEY:
            return redirect(reverse("survey:start"))
        if access["purpose"] == MagicLinkPurpose.ARENA:
            return redirect(reverse("arena_customer:home"))
        # What became of the customer's words is on the portal page (``portal``).
        from portal.models import Contribution

        return self.render_to_response({
            "contact": contact, "purpose": access["purpose"],
            "followed_count": Contribution.objects.filter(
                contact=contact, organisation_id=access["organisation"]).values("point").distinct().count(),
        })
