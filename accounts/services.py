"""Writes for users, organisations, memberships and magic links."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import MagicLink, Membership, Organisation, Role, User
from audit.models import AuditAction
from audit.services import audit_record


@transaction.atomic
def organisation_create(*, slug: str, name: str) -> Organisation:
    """Create an organisation with its root unit at the strategic level."""
    from org.models import Level, Unit, UnitKind

    slug = slugify(slug)
    if not slug:
        raise ValueError("An organisation needs a short name (slug).")
    if Organisation.objects.filter(slug=slug).exists():
        raise ValueError(f"An organisation with short name {slug!r} already exists.")
    organisation = Organisation.objects.create(slug=slug, name=name)
    Unit.objects.add_root(create_kwargs={
        "organisation": organisation, "name": name, "kind": UnitKind.ORGANISATION,
        "level": Level.STRATEGIC,
    })
    return organisation


def user_get_or_create(*, email: str, name: str, password: str | None = None) -> User:
    """Return the user with ``email``, creating one (without a usable password unless given)."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, name=name)
    return user


@transaction.atomic
def membership_create(*, organisation: Organisation, email: str, name: str,
                      role: str = Role.EMPLOYEE, unit=None, job_title: str = "",
                      password: str | None = None, actor=None) -> Membership:
    user = user_get_or_create(email=email, name=name, password=password)
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation,
        defaults={"role": role, "unit": unit, "job_title": job_title},
    )
    if not created:
        raise ValueError(f"{email} is already a member of {organisation}.")
    audit_record(action=AuditAction.MEMBER_ADDED, organisation=organisation, actor=actor,
                 target=membership, details={"role": role})
    return membership


@transaction.atomic
def membership_update(*, membership: Membership, name: str, role: str, unit=None,
                      job_title: str = "", is_active: bool = True, actor=None) -> Membership:
    """Change a person's name, role, unit and job title, or (de)activate them; a role
    change and a (de)activation are recorded in the audit log."""
    was_role, was_active = (Membership.objects.filter(pk=membership.pk)
                            .values_list("role", "is_active").get())
    membership.user.name = name
    membership.user.save(update_fields=["name"])
    membership.role = role
    membership.unit = unit
    membership.job_title = job_title
    membership.is_active = is_active
    membership.save()
    if role != was_role:
        audit_record(action=AuditAction.ROLE_CHANGED, organisation=membership.organisation,
                     actor=actor, target=membership, details={"from": was_role, "to": role})
    if is_active != was_active:
        audit_record(action=(AuditAction.MEMBER_REACTIVATED if is_active
                             else AuditAction.MEMBER_DEACTIVATED),
                     organisation=membership.organisation, actor=actor, target=membership)
    return membership


@dataclass(frozen=True)
class IssuedLink:
    link: MagicLink
    token: str


def magic_link_issue(*, contact, purpose: str, created_by=None,
                     max_age: timedelta | None = None) -> IssuedLink:
    """Issue a one-time link for ``contact``; only the token's hash is stored.

    The token carries 256 bits from the operating system's CSPRNG.
    """
    token = secrets.token_urlsafe(32)
    max_age = max_age or timedelta(days=settings.MAGIC_LINK_MAX_AGE_DAYS)
    link = MagicLink.objects.create(
        organisation=contact.customer.organisation,
        contact=contact,
        purpose=purpose,
        token_hash=MagicLink.hash_token(token),
        expires_at=timezone.now() + max_age,
        created_by=created_by,
    )
    return IssuedLink(link=link, token=token)


class MagicLinkInvalid(Exception):
    """The token is unknown, expired, revoked or already used."""


@transaction.atomic
def magic_link_redeem(*, token: str) -> MagicLink:
    """Consume a token and return its link; a token works exactly once."""
    now = timezone.now()
    link = (
        MagicLink.objects.select_for_update()
        .select_related("contact__customer__organisation")
        .filter(token_hash=MagicLink.hash_token(token))
        .first()
    )
    if link is None or link.used_at or link.revoked_at or link.expires_at <= now:
        raise MagicLinkInvalid
    link.used_at = now
    link.save(update_fields=["used_at"])
    # A customer's login: the contact by id, never their address.
    audit_record(action=AuditAction.CUSTOMER_LINK_USED, organisation=link.organisation,
                 target=("contact", link.contact_id), details={"purpose": link.purpose,
                                                              "link": link.pk})
    return link


def magic_link_revoke(*, link: MagicLink) -> None:
    MagicLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def magic_links_revoke_for_contact(*, contact) -> int:
    """Revoke every link of ``contact`` that could still be used; return how many."""
    return MagicLink.objects.usable().filter(contact=contact).update(revoked_at=timezone.now())
