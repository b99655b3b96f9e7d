"""Writes of the klantsafari: rounds, visits, reports, advice into points, calendar tokens."""

from __future__ import annotations

import datetime
import hashlib
import io
import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Membership, Organisation
from accounts.permissions import Capability, role_can
from improvements import services as improvements
from improvements.models import ImprovementPoint, Theme
from journeys.models import Touchpoint
from org.models import Contact, Customer
from portal.models import ContributionKind
from portal.services import contribution_add
from safari.models import (
    AdvicePoint,
    CalendarToken,
    SafariRound,
    Visit,
    VisitPhoto,
    VisitReason,
    VisitStatus,
)
from safari.selectors import VISITOR_ROLES

PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_MAX_SIDE = 1600
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}


def _require_planner(actor: Membership, organisation_id: int) -> None:
    if actor.organisation_id != organisation_id or not role_can(actor.role, Capability.PLAN_SAFARIS):
        raise PermissionDenied("Only a planner may do this.")


def may_report(visit: Visit, actor: Membership) -> bool:
    """The visit's own visitor, or a planner of the organisation, may file and edit the report."""
    if actor.organisation_id != visit.organisation_id or not actor.is_active:
        return False
    return actor.pk == visit.visitor_id or role_can(actor.role, Capability.PLAN_SAFARIS)


def _check_visitors(organisation: Organisation, visitors: Iterable[Membership]) -> list[Membership]:
    visitors = list(visitors)
    for visitor in visitors:
        if visitor.organisation_id != organisation.pk or not visitor.is_active:
            raise ValueError(_("A visitor is not an active member of this organisation."))
        if visitor.role not in VISITOR_ROLES:
            raise ValueError(_("Only staff can go on a safari."))
    return visitors


# Rounds ----------------------------------------------------------------------------------

@transaction.atomic
def round_create(*, organisation: Organisation, actor: Membership, name: str,
                 starts_on: datetime.date, ends_on: datetime.date, visits_per_visitor: int = 3,
                 visitors: Iterable[Membership] = (), notes: str = "") -> SafariRound:
    """Put a round of visits on the schedule."""
    _require_planner(actor, organisation.pk)
    name = name.strip()
    if not name:
        raise ValueError(_("A round needs a name."))
    if ends_on < starts_on:
        raise ValueError(_("The round ends before it starts."))
    if not 1 <= visits_per_visitor <= 50:
        raise ValueError(_("Visits per visitor must be between 1 and 50."))
    visitors = _check_visitors(organisation, visitors)
    safari_round = SafariRound.objects.create(
        organisation=organisation, name=name[:200], starts_on=starts_on, ends_on=ends_on,
        visits_per_visitor=visits_per_visitor, notes=notes.strip(), created_by=actor)
    safari_round.visitors.set(visitors)
    return safari_round


@transaction.atomic
def round_update(*, safari_round: SafariRound, actor: Membership, name: str,
                 starts_on: datetime.date, ends_on: datetime.date, visits_per_visitor: int,
                 visitors: Iterable[Membership], notes: str = "") -> SafariRound:
    """Change a round; a visitor with visits in it stays."""
    _require_planner(actor, safari_round.organisation_id)
    if not name.strip():
        raise ValueError(_("A round needs a name."))
    if ends_on < starts_on:
        raise ValueError(_("The round ends before it starts."))
    if not 1 <= visits_per_visitor <= 50:
        raise ValueError(_("Visits per visitor must be between 1 and 50."))
    visitors = _check_visitors(safari_round.organisation, visitors)
    busy = set(safari_round.visits.exclude(status=VisitStatus.CANCELLED).values_list("visitor", flat=True))
    if busy - {v.pk for v in visitors}:
        raise ValueError(_("A visitor with visits in this round cannot be taken out of it."))
    safari_round.name = name.strip()[:200]
    safari_round.starts_on, safari_round.ends_on = starts_on, ends_on
    safari_round.visits_per_visitor = visits_per_visitor
    safari_round.notes = notes.strip()
    safari_round.save()
    safari_round.visitors.set(visitors)
    return safari_round


# Visits ----------------------------------------------------------------------------------

@transaction.atomic
def visit_assign(*, safari_round: SafariRound, actor: Membership, visitor: Membership,
                 customer: Customer, contact: Contact | None = None,
                 planned_at: datetime.datetime | None = None, duration_minutes: int = 90,
                 place: str = "", reason: str = VisitReason.CHOSEN) -> Visit:
    """Assign ``visitor`` to visit ``customer`` in the round; a customer is visited once per round."""
    _require_planner(actor, safari_round.organisation_id)
    # Serialise assignments in one round, so two planners cannot both take the same customer.
    list(SafariRound.objects.select_for_update().filter(pk=safari_round.pk).values("pk"))
    if customer.organisation_id != safari_round.organisation_id:
        raise ValueError("The customer belongs to another organisation.")
    if not safari_round.visitors.filter(pk=visitor.pk).exists():
        raise ValueError(_("The visitor is not one of this round's visitors."))
    if contact is not None and contact.customer_id != customer.pk:
        raise ValueError(_("The contact person does not work at this customer."))
    if reason not in VisitReason.values:
        raise ValueError(f"Unknown reason {reason!r}.")
    if planned_at is not None and timezone.is_naive(planned_at):
        raise ValueError("The planned time needs a time zone.")
    if not 15 <= duration_minutes <= 600:
        raise ValueError(_("A visit lasts between 15 minutes and 10 hours."))
    existing = (safari_round.visits.exclude(status=VisitStatus.CANCELLED)
                .filter(customer=customer).select_related("visitor__user").first())
    if existing is not None:
        raise ValueError(_("%(customer)s is already visited in this round (by %(visitor)s).")
                         % {"customer": customer.name, "visitor": existing.visitor.name})
    if contact is None:
        contact = customer.contacts.order_by("-is_primary", "name").first()
    try:
        with transaction.atomic():
            return Visit.objects.create(
                organisation_id=safari_round.organisation_id, round=safari_round, visitor=visitor,
                customer=customer, contact=contact, reason=reason, planned_at=planned_at,
                duration_minutes=duration_minutes, place=place.strip()[:200], created_by=actor)
    except IntegrityError as exc:  # the constraint caught what the check above could not see
        raise ValueError(_("%(customer)s is already visited in this round.")
                         % {"customer": customer.name}) from exc


@transaction.atomic
def visit_plan(*, visit: Visit, actor: Membership, planned_at: datetime.datetime | None,
               place: str, contact: Contact | None, duration_minutes: int = 90) -> Visit:
    """Set (or move) a visit's date, time, place and contact person: the visitor or a planner."""
    if not may_report(visit, actor):
        raise PermissionDenied("Only the visitor or a planner may plan this visit.")
    if contact is not None and contact.customer_id != visit.customer_id:
        raise ValueError(_("The contact person does not work at this customer."))
    if planned_at is not None and timezone.is_naive(planned_at):
        raise ValueError("The planned time needs a time zone.")
    if not 15 <= duration_minutes <= 600:
        raise ValueError(_("A visit lasts between 15 minutes and 10 hours."))
    visit.planned_at, visit.place, visit.contact = planned_at, place.strip()[:200], contact
    visit.duration_minutes = duration_minutes
    visit.save(update_fields=["planned_at", "place", "contact", "duration_minutes"])
    return visit


@transaction.atomic
def visit_cancel(*, visit: Visit, actor: Membership) -> Visit:
    """Cancel a planned visit; its customer can be assigned again."""
    _require_planner(actor, visit.organisation_id)
    if visit.status == VisitStatus.DONE:
        raise ValueError(_("A reported visit cannot be cancelled."))
    visit.status = VisitStatus.CANCELLED
    visit.save(update_fields=["status"])
    return visit


def photo_clean(upload) -> tuple[bytes, int, int]:
    """Check an uploaded photo by its content and return it as a re-encoded JPEG.

    Re-encoding drops whatever else the file carried (metadata such as the place it
    was taken, or anything appended to it) and turns the photo upright.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if upload.size > PHOTO_MAX_BYTES:
        raise ValueError(_("The photo is too large (at most %(mb)d MB).") % {"mb": PHOTO_MAX_BYTES // 2**20})
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in PHOTO_FORMATS:
                raise ValueError(_("This is not a photo we can use (JPEG, PNG or WebP)."))
            if probe.width * probe.height > PHOTO_MAX_PIXELS:
                raise ValueError(_("The photo has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=82, optimize=True)
            return out.getvalue(), image.width, image.height
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(_("This is not a photo we can use (JPEG, PNG or WebP).")) from exc


@transaction.atomic
def visit_report(*, visit: Visit, actor: Membership, went_well: str, went_wrong: str, advice: str,
                 quotes: str, touchpoints: Iterable[Touchpoint] = (), themes: Iterable[Theme] = (),
                 photo=None, remove_photo: bool = False) -> Visit:
    """File (or edit) the visit's report: the visitor's own, or a planner's on their behalf."""
    if not may_report(visit, actor):
        raise PermissionDenied("Only the visitor or a planner may file this report.")
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.status == VisitStatus.CANCELLED:
        raise ValueError(_("This visit was cancelled."))
    touchpoints, themes = list(touchpoints), list(themes)
    if any(t.organisation_id != visit.organisation_id for t in touchpoints):
        raise ValueError("A touchpoint belongs to another organisation.")
    if any(t.organisation_id != visit.organisation_id for t in themes):
        raise ValueError("A theme belongs to another organisation.")
    fields = {"went_well": went_well, "went_wrong": went_wrong, "advice": advice, "quotes": quotes}
    fields = {name: "\n".join(line.rstrip() for line in value.strip().splitlines())
              for name, value in fields.items()}
    if not any(fields.values()):
        raise ValueError(_("Write at least what went well, what went wrong or your advice."))
    cleaned_photo = photo_clean(photo) if photo is not None else None
    for name, value in fields.items():
        setattr(visit, name, value)
    visit.status = VisitStatus.DONE
    visit.reported_at = visit.reported_at or timezone.now()
    visit.save(update_fields=[*fields, "status", "reported_at"])
    visit.touchpoints.set(touchpoints)
    visit.themes.set(themes)
    if cleaned_photo is not None:
        data, width, height = cleaned_photo
        VisitPhoto.objects.update_or_create(visit=visit, defaults={
            "data": data, "width": width, "height": height, "uploaded_at": timezone.now()})
    elif remove_photo:
        VisitPhoto.objects.filter(visit=visit).delete()
    return visit


# Advice into the improvement spine -------------------------------------------------------

def advice_key(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).casefold().encode()).hexdigest()


def visit_label(visit: Visit) -> str:
    """What a customer reads about where they said it, in Dutch: "Klantbezoek, 12 maart 2027"."""
    when = timezone.localtime(visit.planned_at).date() if visit.planned_at else (
        timezone.localtime(visit.reported_at).date() if visit.reported_at else timezone.localdate())
    with override("nl"):
        return _("Customer visit, %(date)s") % {"date": formats.date_format(when, "j F Y")}


@transaction.atomic
def advice_to_point(*, visit: Visit, actor: Membership, advice: str, title: str = "") -> ImprovementPoint:
    """Turn one piece of the visit's advice into an improvement point, with the visit as evidence.

    Idempotent per advice: the same advice a second time returns the point made the first time.
    """
    if not may_report(visit, actor):
        raise PermissionDenied("Only the visitor or a planner may turn this advice into a point.")
    # Only the visit's own row: PostgreSQL refuses FOR UPDATE on the nullable side of a join.
    visit = (Visit.objects.select_for_update(of=("self",))
             .select_related("customer__unit", "contact", "organisation").get(pk=visit.pk))
    if visit.status != VisitStatus.DONE:
        raise ValueError(_("File the visit report first."))
    advice = " ".join(advice.split())
    if not advice:
        raise ValueError(_("There is no advice to turn into a point."))
    if advice_key(advice) not in {advice_key(line) for line in visit.advice_lines()}:
        raise ValueError(_("This advice is not in the visit's report."))
    key = advice_key(advice)
    done = AdvicePoint.objects.filter(visit=visit, key=key).select_related("point").first()
    if done is not None:
        return done.point
    label = visit_label(visit)
    description = _("Advice from a customer visit to %(customer)s: %(advice)s") % {
        "customer": visit.customer.name, "advice": advice}
    if visit.went_wrong:
        description += "\n\n" + _("What went wrong: %(text)s") % {"text": visit.went_wrong}
    point = improvements.point_create(
        organisation=visit.organisation, actor=actor, title=(title.strip() or advice)[:200],
        description=description, unit=visit.customer.unit, theme=visit.themes.order_by("name").first(),
        raised_by=actor, raised_by_label=_("Customer safari"))
    improvements.evidence_add(point=point, actor=actor, label=f"{label}: {visit.customer.name}"[:200],
                              quote=advice, source=visit)
    for quote in visit.quote_lines():
        improvements.evidence_add(point=point, actor=actor, label=label, quote=quote, source=visit)
    AdvicePoint.objects.create(visit=visit, key=key, advice=advice, point=point)
    if visit.contact is not None:
        contribution_add(contact=visit.contact, point=point, kind=ContributionKind.SAFARI, label=label)
    return point


# The calendar feed -----------------------------------------------------------------------

def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def calendar_token_issue(*, membership: Membership) -> tuple[CalendarToken, str]:
    """Give the member a new feed secret, revoking the old one; return the token and the secret.

    Only the hash is stored: the secret is shown once, in the page that issued it.
    """
    calendar_token_revoke(membership=membership)
    secret = secrets.token_urlsafe(32)
    token = CalendarToken.objects.create(membership=membership, token_hash=token_hash(secret))
    return token, secret


@transaction.atomic
def calendar_token_revoke(*, membership: Membership) -> int:
    """Revoke the member's feed secrets: calendars subscribed with them stop updating."""
    return CalendarToken.objects.filter(membership=membership, revoked_at__isnull=True).update(
        revoked_at=timezone.now())


def calendar_token_member(*, organisation_slug: str, secret: str) -> Membership | None:
    """Return the active member whose live feed secret this is, in that organisation, or None."""
    token = (CalendarToken.objects.usable().select_related("membership__organisation")
             .filter(token_hash=token_hash(secret), membership__organisation__slug=organisation_slug)
             .first())
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(hours=1):
        CalendarToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.membership
