"""Writes for our own survey: invitations, reminders, answers through a personal or
public link, and the e-mail that tells an owner about a new follow-up.

Mail is built inside the transaction (so it carries the tokens just issued) and sent
after commit over one connection: a rolled-back send leaves no e-mail behind, and a
failed SMTP server does not undo the invitations' state.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import MagicLinkPurpose
from accounts.services import magic_link_issue
from org.models import Contact, Customer
from research.models import (
    FollowUp,
    Invitation,
    Response,
    ResponseSource,
    ResponseStatus,
    Wave,
    WaveStatus,
)
from research.services import Answers, response_record

# A personal link stays usable this long after the wave's period ends.
LINK_GRACE_DAYS = 3
# Submissions through one public link, per visitor (hashed IP address) per hour.
PUBLIC_RATE_LIMIT = 20
PUBLIC_RATE_WINDOW = 60 * 60


class InvitationsRefused(ValueError):
    """The wave cannot take invitations (anonymous, or not open for sending)."""


def _check_invitable(wave: Wave) -> None:
    if wave.is_anonymous:
        raise InvitationsRefused("An anonymous wave uses its public link, not personal invitations.")
    if wave.status == WaveStatus.CLOSED:
        raise InvitationsRefused("The wave is closed.")


# --- Invitations ----------------------------------------------------------------------


@transaction.atomic
def invitations_create(*, wave: Wave, contacts: list[Contact] | None = None) -> int:
    """Invite ``contacts`` (default: every customer's primary contact with an e-mail
    address) to the wave; contacts already invited are skipped. Return how many were added."""
    _check_invitable(wave)
    if contacts is None:
        contacts = list(
            Contact.objects.filter(customer__organisation_id=wave.organisation_id, is_primary=True)
            .exclude(email="").order_by("pk")
        )
    else:
        contacts = [c for c in contacts if c.email]
        if any(c.customer.organisation_id != wave.organisation_id for c in contacts):
            raise ValueError("Contact of another organisation.")
    already = set(Invitation.objects.filter(wave=wave).values_list("contact_id", flat=True))
    new = [Invitation(organisation=wave.organisation, wave=wave, contact=c)
           for c in {c.pk: c for c in contacts}.values() if c.pk not in already]
    Invitation.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _link_max_age(wave: Wave) -> timedelta | None:
    """Until the end of the wave's period plus a few days; the default when it has none."""
    if wave.period_end is None:
        return None
    until = timezone.make_aware(datetime.combine(wave.period_end + timedelta(days=LINK_GRACE_DAYS),
                                                 time.max))
    remaining = until - timezone.now()
    return remaining if remaining > timedelta(hours=1) else None


def _invitation_language(invitation: Invitation) -> str:
    """The language the contact answered in before, else the site's (Dutch)."""
    response = invitation.response
    language = (response.language if response is not None else "") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _invitation_message(*, invitation: Invitation, url: str, expires_at, kind: str,
                        connection) -> EmailMultiAlternatives:
    contact = invitation.contact
    language = _invitation_language(invitation)
    context = {"contact": contact, "organisation": invitation.wave.organisation,
               "wave": invitation.wave, "url": url, "expires_at": expires_at,
               "language": language}
    with translation.override(language):
        subject = render_to_string(f"research/email/{kind}_subject.txt", context)
        body = render_to_string(f"research/email/{kind}.txt", context)
        html = render_to_string(f"research/email/{kind}.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), body, None, [contact.email],
                                     connection=connection)
    message.attach_alternative(html, "text/html")
    return message


def _send_after_commit(messages: list[EmailMultiAlternatives], connection) -> None:
    if messages:
        transaction.on_commit(lambda: connection.send_messages(messages))


def _issue_and_build(invitations: list[Invitation], *, base_url: str, kind: str) -> list:
    connection = get_connection()
    messages = []
    max_age = _link_max_age(invitations[0].wave) if invitations else None
    for invitation in invitations:
        issued = magic_link_issue(contact=invitation.contact, purpose=MagicLinkPurpose.SURVEY,
                                  max_age=max_age)
        url = base_url.rstrip("/") + reverse("accounts:magic_link", kwargs={"token": issued.token})
        messages.append(_invitation_message(invitation=invitation, url=url, kind=kind,
                                            expires_at=issued.link.expires_at,
                                            connection=connection))
    _send_after_commit(messages, connection)
    return messages


def _pending(wave: Wave):
    return (Invitation.objects.filter(wave=wave).exclude(contact__email="")
            .select_related("contact__customer", "response", "wave__organisation")
            .select_for_update(of=("self",)).order_by("pk"))


@transaction.atomic
def invitations_send(*, wave: Wave, base_url: str, only_unsent: bool = True) -> int:
    """E-mail each invitation (by default only those not sent yet) a new personal link.

    ``base_url`` is the site's scheme and host. Return how many e-mails go out.
    """
    _check_invitable(wave)
    if wave.status != WaveStatus.OPEN:
        raise InvitationsRefused("Open the wave before sending invitations.")
    invitations = _pending(wave)
    if only_unsent:
        invitations = invitations.filter(sent_at__isnull=True)
    invitations = list(invitations)
    _issue_and_build(invitations, base_url=base_url, kind="invitation")
    Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(sent_at=timezone.now())
    return len(invitations)


@transaction.atomic
def invitations_remind(*, wave: Wave, base_url: str) -> int:
    """Send the one reminder to invitees who were sent an invitation, have not submitted
    and were never reminded. Return how many reminders go out."""
    _check_invitable(wave)
    if wave.status != WaveStatus.OPEN:
        raise InvitationsRefused("Reminders go out only while the wave is open.")
    invitations = list(
        _pending(wave).filter(sent_at__isnull=False, reminded_at__isnull=True)
        .exclude(response__status=ResponseStatus.SUBMITTED)
    )
    _issue_and_build(invitations, base_url=base_url, kind="reminder")
    Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(reminded_at=timezone.now())
    return len(invitations)


# --- Answering ------------------------------------------------------------------------


@transaction.atomic
def invitation_open(*, invitation: Invitation) -> Invitation:
    """Record the first time the contact opened the survey."""
    if invitation.opened_at is None:
        invitation.opened_at = timezone.now()
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=invitation.opened_at)
    return invitation


@transaction.atomic
def survey_answers_save(*, invitation: Invitation, answers: Answers, submit: bool,
                        language: str = "", base_url: str | None = None) -> Response:
    """Save the invitee's answers as a partial response, or submit them.

    Once submitted, a response stays submitted: a later save is a correction and is
    validated as a submission. With ``base_url``, the owner of a follow-up that this
    submission creates is told by e-mail.
    """
    started = timezone.now()
    # Lock the invitation so two autosaves of a first answer cannot create two responses.
    invitation = (Invitation.objects.select_for_update(of=("self",))
                  .select_related("wave__organisation", "contact__customer", "response")
                  .get(pk=invitation.pk))
    existing = invitation.response
    submit = submit or (existing is not None and existing.status == ResponseStatus.SUBMITTED)
    response = response_record(wave=invitation.wave, answers=answers, source=ResponseSource.SURVEY,
                               contact=invitation.contact, language=language, submit=submit,
                               response=existing)
    if existing is None:
        invitation.response = response
        invitation.save(update_fields=["response"])
    if submit and base_url is not None:
        follow_up = (FollowUp.objects.filter(response=response, created_at__gte=started)
                     .select_related("owner__user", "organisation", "response__customer").first())
        if follow_up is not None:
            follow_up_notify(follow_up=follow_up, base_url=base_url)
    return response


def survey_public_submit(*, wave: Wave, answers: Answers, language: str = "") -> Response:
    """Record one anonymous response through the wave's public link."""
    if not wave.is_anonymous:
        raise ValueError("Only an anonymous wave takes responses through a public link.")
    return response_record(wave=wave, answers=answers, source=ResponseSource.PUBLIC,
                           language=language, submit=True)


def public_rate_limit_hit(*, visitor: str, wave: Wave) -> bool:
    """Count one public submission for ``visitor`` (e.g. an IP address); return whether
    it is over the limit.

    Only a keyed hash of the visitor lands in the cache, for one hour; nothing is stored
    in the database or logged.
    """
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{wave.pk}:{visitor}".encode(),
                      hashlib.sha256).hexdigest()
    key = f"survey-public:{digest}"
    if cache.add(key, 1, PUBLIC_RATE_WINDOW):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, PUBLIC_RATE_WINDOW)
            count = 1
    return count > PUBLIC_RATE_LIMIT


# --- Closing the loop -----------------------------------------------------------------


def follow_up_notify(*, follow_up: FollowUp, base_url: str) -> bool:
    """E-mail the follow-up's owner once the transaction commits; return whether one goes."""
    owner = follow_up.owner
    if owner is None or not owner.user.email:
        return False
    customer: Customer | None = follow_up.response.customer
    url = base_url.rstrip("/") + reverse(
        "research:followup_detail",
        kwargs={"org": follow_up.organisation.slug, "pk": follow_up.pk})
    context = {"follow_up": follow_up, "owner": owner, "customer": customer,
               "response": follow_up.response, "organisation": follow_up.organisation,
               "url": url}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("research/email/follow_up_subject.txt",
                                            context).split())
        body = render_to_string("research/email/follow_up.txt", context)
    message = EmailMultiAlternatives(subject, body, None, [owner.user.email])
    transaction.on_commit(message.send)
    return True
