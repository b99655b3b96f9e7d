import time

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts import services, two_factor
from accounts.forms import EmailAuthenticationForm
from accounts.models import MagicLinkPurpose, Membership, User
from accounts.ratelimit import rate_limited
from accounts.tenancy import SESSION_ORG_KEY

CUSTOMER_SESSION_KEY = "customer_access"


def customer_link_holds(access) -> bool:
    """Whether the magic link that opened a customer session (``access``) still holds:
    it is the session contact's and not revoked. Revoking a link ends the sessions it opened."""
    from accounts.models import MagicLink

    return isinstance(access, dict) and MagicLink.objects.filter(
        pk=access.get("link"), contact_id=access.get("contact"), revoked_at__isnull=True).exists()


# Between the password and the second factor: who, with which backend, since when, and
# where to go. Django's login() runs only after the second step.
PENDING_LOGIN_KEY = "_pending_login"


class LoginView(auth_views.LoginView):
    """Step 1: the password. A user with (or who must have) a second factor goes on to
    ``LoginCodeView`` without being logged in; everyone else is logged in here."""

    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    @rate_limited("login")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.has_two_factor(user) or two_factor.two_factor_required(user):
            self.request.session[PENDING_LOGIN_KEY] = {
                "user": user.pk, "backend": user.backend, "at": int(time.time()),
                "next": self.get_success_url(),
            }
            return redirect("accounts:login_code")
        return super().form_valid(form)


class LoginCodeView(View):
    """Step 2: a code from the authenticator app or a backup code, then the login (with a
    new session key). An administrator or consultant without an authenticator sets one up
    here first: QR code, confirmation with a code, and ten backup codes shown once.

    Wrong codes count as failed logins for axes, so they lock the address out as wrong
    passwords do."""

    def dispatch(self, request, *args, **kwargs):
        pending = request.session.get(PENDING_LOGIN_KEY)
        self.user = None
        if pending and time.time() - pending["at"] <= settings.TWO_FACTOR_PENDING_SECONDS:
            self.user = User.objects.filter(pk=pending["user"], is_active=True).first()
        if self.user is None:
            request.session.pop(PENDING_LOGIN_KEY, None)
            if pending:
                messages.info(request, _("The login took too long. Log in again."))
            return redirect("accounts:login")
        self.pending = pending
        if AxesProxyHandler.is_locked(request, {"username": self.user.email}):
            request.session.pop(PENDING_LOGIN_KEY, None)
            return render(request, "accounts/locked_out.html", status=429)
        self.device = two_factor.confirmed_totp(self.user)
        if self.device is None and not two_factor.two_factor_required(self.user):
            return self.complete()  # their second factor was switched off meanwhile
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.page()

    @rate_limited("login")
    def post(self, request):
        code = request.POST.get("code", "")
        if self.device is not None:
            if two_factor.two_factor_verify(user=self.user, code=code):
                return self.complete()
        else:
            device = two_factor.totp_enrolment_start(user=self.user)
            codes = two_factor.totp_enrolment_confirm(device=device, code=code)
            if codes is not None:
                next_url = self.pending["next"]
                self.complete()
                return render(request, "accounts/backup_codes.html",
                              {"codes": codes, "next_url": next_url, "first_time": True})
        user_login_failed.send(sender=__name__, credentials={"username": self.user.email},
                               request=request)
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING_LOGIN_KEY, None)
            return render(request, "accounts/locked_out.html", status=429)
        return self.page(error=_("That code is not right. Try again."), status=400)

    def page(self, error: str = "", status: int = 200):
        if self.device is not None:
            return render(self.request, "accounts/login_code.html", {"error": error}, status=status)
        device = two_factor.totp_enrolment_start(user=self.user)
        return render(self.request, "accounts/two_factor_setup.html", {
            "error": error, "qr": two_factor.qr_svg(device),
            "secret": two_factor.secret_base32(device), "during_login": True,
        }, status=status)

    def complete(self):
        pending = self.request.session.pop(PENDING_LOGIN_KEY)
        auth_login(self.request, self.user, backend=pending["backend"])
        return redirect(pending["next"])



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

    @rate_limited("magic_link")
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
        if access and customer_link_holds(access):
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


# --- The user's own security page -----------------------------------------------------------


class SecurityView(LoginRequiredMixin, View):
    """"Beveiliging": turn the second factor on or off, and make new backup codes."""

    def get(self, request):
        user = request.user
        return render(request, "accounts/security.html", {
            "enabled": two_factor.has_two_factor(user),
            "required": two_factor.two_factor_required(user),
            "backup_codes_left": two_factor.backup_codes_left(user),
        })


class TwoFactorSetupView(LoginRequiredMixin, View):
    """Set up an authenticator app: QR code and secret, confirmed with a code from the app."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and two_factor.has_two_factor(request.user):
            return redirect("accounts:security")
        return super().dispatch(request, *args, **kwargs)

    def page(self, error: str = "", status: int = 200):
        device = two_factor.totp_enrolment_start(user=self.request.user)
        return render(self.request, "accounts/two_factor_setup.html", {
            "error": error, "qr": two_factor.qr_svg(device), "secret": two_factor.secret_base32(device),
        }, status=status)

    def get(self, request):
        return self.page()

    @rate_limited("login", by="user")
    def post(self, request):
        device = two_factor.totp_enrolment_start(user=request.user)
        codes = two_factor.totp_enrolment_confirm(device=device, code=request.POST.get("code", ""))
        if codes is None:
            return self.page(error=_("That code is not right. Try again."), status=400)
        return render(request, "accounts/backup_codes.html",
                      {"codes": codes, "next_url": reverse("accounts:security"), "first_time": True})


class _CodeConfirmedAction(LoginRequiredMixin, View):
    """A change to the second factor, confirmed with a current code (or a backup code)."""

    def post(self, request):
        if not two_factor.has_two_factor(request.user):
            return redirect("accounts:security")
        if not two_factor.two_factor_verify(user=request.user, code=request.POST.get("code", "")):
            messages.error(request, _("That code is not right. Nothing was changed."))
            return redirect("accounts:security")
        return self.act(request)


class TwoFactorDisableView(_CodeConfirmedAction):
    @rate_limited("login", by="user")
    def post(self, request):
        if two_factor.two_factor_required(request.user):
            messages.error(request, _("Your role requires a second factor; it cannot be turned off."))
            return redirect("accounts:security")
        return super().post(request)

    def act(self, request):
        two_factor.two_factor_disable(user=request.user)
        messages.success(request, _("Two-step verification is off."))
        return redirect("accounts:security")


class BackupCodesView(_CodeConfirmedAction):
    @rate_limited("login", by="user")
    def post(self, request):
        return super().post(request)

    def act(self, request):
        codes = two_factor.backup_codes_regenerate(user=request.user)
        return render(request, "accounts/backup_codes.html",
                      {"codes": codes, "next_url": reverse("accounts:security"), "first_time": False})
