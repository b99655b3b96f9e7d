"""Writes for the customer portal: contributions, e-mail preferences and notifications."""

from __future__ import annotations

import datetime
import threading
from contextlib import contextmanager

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from portal.models import Contribution, ContributionKind, PortalPreference

UNSUBSCRIBE_SALT = "portal.unsubscribe"
# How long the portal link in a notification works (it is exchanged for a session once).
NOTICE_LINK_DAYS = 30


def contribution_add(*, contact, point, kind: str, label: str) -> Contribution:
    """Record that ``contact`` contributed to ``point`` (once per source); return the record.

    ``label`` is what the customer will read about where they said it: keep it free of
    internal detail and of other people's names.
    """
    if kind not in ContributionKind.values:
        raise ValueError(f"Unknown contribution kind {kind!r}.")
    if contact.customer.organisation_id != point.organisation_id:
        raise ValueError("The contact and the point belong to different organisations.")
    contribution, _created = Contribution.objects.get_or_create(
        contact=contact, point=point, kind=kind, label=label.strip()[:200],
        defaults={"organisation_id": point.organisation_id})
    return contribution


def arena_label(*, title: str, starts_at: datetime.datetime) -> str:
    """Return where a customer spoke in an arena, in the customers' language."""
    with translation.override(settings.LANGUAGE_CODE):
        day = formats.date_format(timezone.localtime(starts_at).date(), "j F Y")
        # Most arenas are called "Klantarena …" already: then the title says it.
        if title.strip().lower().startswith(_("Customer arena").lower()):
            return _("“%(title)s”, %(date)s") % {"title": title, "date": day}
        return _("Customer arena “%(title)s”, %(date)s") % {"title": title, "date": day}


@transaction.atomic
def arena_contributions_record(*, arena, points: dict | None = None) -> int:
    """Record each customer whose statements are in a group of a finished ``arena`` as a
    contributor to the group's point (``points``: by group id; else the arena's outcomes).

    Return how many contributions there are now from this arena.
    """
    from arena.models import ArenaOutcome
    from arena.selectors import speakers_by_group
    from org.models import Contact

    if points is None:
        points = {o.item: o.point for o in ArenaOutcome.objects.filter(
            arena=arena, kind=ArenaOutcome.Kind.POINT).select_related("point")}
    speakers = speakers_by_group(arena.room.state)
    contacts = {c.pk: c for c in Contact.objects.select_related("customer").filter(
        pk__in=set().union(*speakers.values()), customer__organisation_id=arena.organisation_id)}
    where = arena_label(title=arena.title, starts_at=arena.starts_at)
    recorded = set()
    for group_id, point in points.items():
        for contact_id in sorted(speakers.get(str(group_id), ())):
            if contact_id in contacts:
                recorded.add(contribution_add(contact=contacts[contact_id], point=point,
                                              kind=ContributionKind.ARENA, label=where).pk)
    return len(recorded)


def survey_label(*, wave_name: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Your answer in the survey “%(wave)s”") % {"wave": wave_name}


def contribution_from_response(*, response, point) -> Contribution | None:
    """Record the contribution of a survey response's contact, if it has one.

    Responses of anonymous waves and responses without a contact give nothing: the
    portal never links an anonymous answer back to a person.
    """
    wave = response.wave
    if wave.is_anonymous or response.contact_id is None:
        return None
    return contribution_add(contact=response.contact, point=point, kind=ContributionKind.SURVEY,
                            label=survey_label(wave_name=wave.name))


@transaction.atomic
def portal_preference_set(*, contact, notify: bool) -> PortalPreference:
    """Turn e-mail about the contact's points on or off."""
    preference, _created = PortalPreference.objects.select_for_update().get_or_create(contact=contact)
    if preference.notify != notify or _created:
        preference.notify = notify
        preference.changed_at = timezone.now()
        preference.save(update_fields=["notify", "changed_at"])
    return preference


# Unsubscribe tokens ---------------------------------------------------------------------------

def unsubscribe_token(contact) -> str:
    """Return a signed token that unsubscribes ``contact`` (it does not expire)."""
    return signing.dumps({"c": contact.pk, "o": contact.customer.organisation_id}, salt=UNSUBSCRIBE_SALT,
                         compress=True)


def unsubscribe_contact(token: str):
    """Return the contact a token names, or None when it was tampered with or is gone."""
    from org.models import Contact

    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return (Contact.objects.select_related("customer__organisation")
            .filter(pk=data.get("c"), customer__organisation_id=data.get("o")).first())


# Notifications --------------------------------------------------------------------------------

def site_url() -> str:
    """Return the site's address for links in e-mail sent outside a request.

    ``SITE_URL`` when set; otherwise the first trusted origin or allowed host.
    """
    configured = getattr(settings, "SITE_URL", "")
    if configured:
        return configured.rstrip("/")
    if settings.CSRF_TRUSTED_ORIGINS:
        return settings.CSRF_TRUSTED_ORIGINS[0].rstrip("/")
    hosts = [h for h in settings.ALLOWED_HOSTS if h not in ("*", "") and not h.startswith(".")]
    host = hosts[0] if hosts else "localhost"
    return f"http://{host}:8000" if host in ("127.0.0.1", "localhost", "[::1]") else f"https://{host}"


_quiet = threading.local()


def _set_quiet(value: bool) -> None:
    _quiet.on = value


@contextmanager
def notifications_muted():
    """Send no e-mail for status changes made inside this block (the demo's, say).

    The notifications leave after commit, so the mute is switched on and off by commit
    callbacks placed around the block's own: on rollback nothing runs at all.
    """
    transaction.on_commit(lambda: _set_quiet(True))
    try:
        yield
    finally:
        transaction.on_commit(lambda: _set_quiet(False))


def _send(message: EmailMultiAlternatives) -> None:
    message.send()


@transaction.atomic
def point_status_notify(*, point, old: str, new: str, base_url: str | None = None) -> list[str]:
    """E-mail each follower of ``point`` that its status went from ``old`` to ``new``.

    One e-mail per contact, whatever the number of their contributions; contacts without
    an address or who opted out are skipped. Each e-mail carries a fresh portal link and
    a one-click unsubscribe link. The e-mails leave after this transaction commits.
    Return the addresses written to.
    """
    from accounts.models import MagicLinkPurpose
    from accounts.services import magic_link_issue
    from portal.selectors import followers_to_notify, public_status_label, public_status_text

    if getattr(_quiet, "on", False):
        return []
    base_url = (base_url or site_url()).rstrip("/")
    sent = []
    for contact in followers_to_notify(point):
        issued = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.PORTAL,
                                  max_age=datetime.timedelta(days=NOTICE_LINK_DAYS))
        unsubscribe = base_url + reverse("portal:unsubscribe",
                                         kwargs={"token": unsubscribe_token(contact)})
        with translation.override(settings.LANGUAGE_CODE):
            context = {
                "contact": contact, "organisation": contact.customer.organisation,
                "title": point.title,
                "old_label": public_status_label(old), "new_label": public_status_label(new),
                "new_text": public_status_text(new),
                "url": base_url + reverse("accounts:magic_link", kwargs={"token": issued.token}),
                "unsubscribe_url": unsubscribe,
            }
            subject = render_to_string("portal/email/status_changed_subject.txt", context).strip()
            text = render_to_string("portal/email/status_changed.txt", context)
            html = render_to_string("portal/email/status_changed.html", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()), body=text, to=[contact.email],
            headers={"List-Unsubscribe": f"<{unsubscribe}>",
                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
        message.attach_alternative(html, "text/html")
        transaction.on_commit(lambda message=message: _send(message))
        sent.append(contact.email)
    return sent
