"""The second factor at login: a TOTP authenticator app (django-otp) and backup codes.

Administrators and consultants must have one (``two_factor_required``); other staff may
turn it on from their security page. A user's authenticator is one ``TOTPDevice``, not
confirmed until the user has typed a code from it; their backup codes are one
``StaticDevice`` with ten single-use codes, stored only as a keyed hash (the codes are
shown once, when made).
"""

import base64
import hashlib
import hmac
import re
import secrets

import segno
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, Role, User

TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup"
BACKUP_CODE_COUNT = 10
TWO_FACTOR_ROLES = (Role.ADMIN, Role.CONSULTANT)
_CODE = re.compile(r"^\d{6}$")


# --- Reads ----------------------------------------------------------------------------------

def two_factor_required(user: User) -> bool:
    """Whether ``user`` may only log in with a second factor: an admin or consultant of any
    organisation, or a site administrator (Django's admin)."""
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.active().filter(user=user, role__in=TWO_FACTOR_ROLES).exists()


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=BACKUP_DEVICE_NAME).count()


def secret_base32(device: TOTPDevice) -> str:
    """The device's secret as the authenticator apps take it, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` address as an inline SVG QR code (no script, no image file)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, dark="#111",
                                                                 light="#fff")


# --- Writes ---------------------------------------------------------------------------------

@transaction.atomic
def totp_enrolment_start(*, user: User, key: str | None = None) -> TOTPDevice:
    """Return the user's unconfirmed authenticator, making one (with a new secret) if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        extra = {"key": key} if key else {}
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False, **extra)
    return device


@transaction.atomic
def totp_enrolment_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm ``device`` with a code it shows; return ten new backup codes, or None if wrong."""
    if device.confirmed or not _CODE.match(_digits(code)) or not device.verify_token(_digits(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    _audit(action="two_factor_enabled", user=device.user)
    _notify(user=device.user, enabled=True)
    return backup_codes_regenerate(user=device.user)


@transaction.atomic
def backup_codes_regenerate(*, user: User) -> list[str]:
    """Replace the user's backup codes with ten new ones and return them (shown only once)."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME)
    device.token_set.all().delete()
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=_backup_hash(code))
                                     for code in codes])
    return codes


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    """Remove the user's authenticator and backup codes."""
    had = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    if had:
        _audit(action="two_factor_disabled", user=user)
        _notify(user=user, enabled=False)


def two_factor_verify(*, user: User, code: str) -> bool:
    """Check a six-digit code from the user's authenticator, or one of their backup codes
    (which is used up)."""
    digits = _digits(code)
    if _CODE.match(digits):
        device = confirmed_totp(user)
        return device is not None and device.verify_token(digits)
    normalised = re.sub(r"[\s-]", "", code or "").lower()
    if not normalised or len(normalised) > 32:
        return False
    device = StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME).first()
    if device is None or not has_two_factor(user):
        return False
    return device.verify_token(_backup_hash(normalised))


def _audit(*, action: str, user: User) -> None:
    """Record the change in the audit log of each organisation the user works in, where the
    audit log knows the action."""
    try:
        from audit.models import AuditAction
        from audit.services import audit_record
    except ImportError:
        return
    if action not in AuditAction.values:
        return
    for membership in Membership.objects.active().filter(user=user).select_related("organisation"):
        audit_record(action=action, organisation=membership.organisation, actor=user, target=user)


def _notify(*, user: User, enabled: bool) -> None:
    """E-mail the user about the change once it commits: whoever had only their password
    (and set up an authenticator of their own) does not go unnoticed."""
    context = {"user": user, "enabled": enabled}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/two_factor_changed_subject.txt", context).strip()
        body = render_to_string("accounts/email/two_factor_changed.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))


def _digits(code: str) -> str:
    return re.sub(r"\s", "", code or "")


def _new_backup_code() -> str:
    """Ten characters from an alphabet without look-alikes, shown as xxxxx-xxxxx."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _backup_hash(code: str) -> str:
    """A keyed hash of a backup code (hyphens and spaces dropped), 16 hex characters."""
    normalised = re.sub(r"[\s-]", "", code).lower()
    return hmac.new(settings.SECRET_KEY.encode(), f"backup:{normalised}".encode(),
                    hashlib.sha256).hexdigest()[:16]
