"""Reads for waves, questionnaires, responses and imports, always scoped to one
organisation. ``access_*_by_id`` raise 404 for anything outside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Substr
from django.http import Http404

from accounts.models import Organisation
from org.models import Unit
from research.models import (
    Competitor,
    CoreValue,
    Driver,
    ImportJob,
    MappingProfile,
    Question,
    Response,
    Wave,
)

# --- Access by id -------------------------------------------------------------------------


def access_wave_by_id(organisation: Organisation, pk) -> Wave:
    """Return the organisation's wave ``pk`` or raise 404."""
    wave = (Wave.objects.for_organisation(organisation).select_related("organisation")
            .filter(pk=pk).first())
    if wave is None:
        raise Http404
    return wave


def access_importjob_by_id(organisation: Organisation, pk) -> ImportJob:
    """Return the organisation's import job ``pk`` (with its wave) or raise 404."""
    job = (ImportJob.objects.for_organisation(organisation)
           .select_related("wave__organisation", "organisation").filter(pk=pk).first())
    if job is None:
        raise Http404
    return job


def access_driver_by_id(organisation: Organisation, pk) -> Driver:
    driver = Driver.objects.for_organisation(organisation).filter(pk=pk).first()
    if driver is None:
        raise Http404
    return driver


def access_core_value_by_id(organisation: Organisation, pk) -> CoreValue:
    value = CoreValue.objects.for_organisation(organisation).filter(pk=pk).first()
    if value is None:
        raise Http404
    return value


def access_competitor_by_id(organisation: Organisation, pk) -> Competitor:
    competitor = Competitor.objects.for_organisation(organisation).filter(pk=pk).first()
    if competitor is None:
        raise Http404
    return competitor


# --- Waves --------------------------------------------------------------------------------


def _count_of(queryset: QuerySet):
    """A correlated COUNT subquery, so several counts need no cross-product join."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def wave_list(organisation: Organisation) -> list[Wave]:
    """Return the organisation's waves, newest first, each with ``question_count`` and
    ``response_count`` — one query."""
    return list(
        Wave.objects.for_organisation(organisation)
        .annotate(
            question_count=_count_of(Question.objects.filter(wave=OuterRef("pk"))),
            response_count=_count_of(Response.objects.filter(wave=OuterRef("pk"))),
        )
        .order_by("-period_start", "-created_at")
    )


def waves_for_select(organisation: Organisation, *, exclude: Wave | None = None) -> QuerySet:
    """Return the organisation's waves for a select box, newest first."""
    waves = Wave.objects.for_organisation(organisation).order_by("-period_start", "-created_at")
    if exclude is not None:
        waves = waves.exclude(pk=exclude.pk)
    return waves


def wave_questions(wave: Wave) -> list[Question]:
    return list(wave.questions.order_by("position", "pk"))


def wave_has_responses(wave: Wave) -> bool:
    return Response.objects.filter(wave=wave).exists()


@dataclass(frozen=True)
class UnitCount:
    """Responses of a wave in one top-level unit (its whole subtree), or without a unit."""

    unit: Unit | None
    count: int


@dataclass(frozen=True)
class WaveCounts:
    total: int
    by_unit: tuple[UnitCount, ...]


def wave_response_counts(wave: Wave) -> WaveCounts:
    """Count the wave's responses per top-level unit (below the organisation's root unit).

    One GROUP BY over the path prefix of each response's unit: a materialised path
    makes "which top-level unit is this under" a substring.
    """
    prefix_len = 2 * Unit.steplen
    rows = (Response.objects.filter(wave=wave).order_by()
            .values(prefix=Substr("unit__path", 1, prefix_len))
            .annotate(n=Count("pk")))
    by_prefix: dict[str | None, int] = {}
    for row in rows:
        by_prefix[row["prefix"]] = by_prefix.get(row["prefix"], 0) + row["n"]
    total = sum(by_prefix.values())
    units = {u.path: u for u in Unit.objects.for_organisation(wave.organisation).filter(depth__lte=2)}
    counts = [UnitCount(unit, by_prefix.pop(path, 0))
              for path, unit in sorted(units.items()) if unit.depth == 2]
    # What is left: responses on the root unit itself, or with no unit at all.
    at_root = sum(n for prefix, n in by_prefix.items() if prefix and prefix in units)
    without = sum(n for prefix, n in by_prefix.items() if not prefix or prefix not in units)
    roots = [u for u in units.values() if u.depth == 1]
    if at_root and roots:
        counts.insert(0, UnitCount(roots[0], at_root))
    if without:
        counts.append(UnitCount(None, without))
    return WaveCounts(total=total, by_unit=tuple(counts))


def wave_import_jobs(wave: Wave) -> list[ImportJob]:
    return list(ImportJob.objects.filter(wave=wave).select_related("created_by")
                .order_by("-created_at"))


# --- Organisation survey settings ---------------------------------------------------------


def survey_settings(organisation: Organisation) -> dict:
    """Return the organisation's drivers, core values and competitors."""
    return {
        "drivers": list(Driver.objects.for_organisation(organisation).order_by("position", "pk")),
        "core_values": list(CoreValue.objects.for_organisation(organisation)
                            .order_by("position", "pk")),
        "competitors": list(Competitor.objects.for_organisation(organisation).order_by("name")),
    }


# --- Imports ------------------------------------------------------------------------------


def mapping_profiles_for_select(organisation: Organisation) -> QuerySet:
    return MappingProfile.objects.for_organisation(organisation).order_by("-created_at")


def mapping_profile_latest(organisation: Organisation, layout: str) -> MappingProfile | None:
    """Return the organisation's most recently saved mapping for files of ``layout``."""
    return (MappingProfile.objects.for_organisation(organisation).filter(layout=layout)
            .order_by("-created_at").first())


# --- Responses ----------------------------------------------------------------------------

NPS_GROUPS = {
    "promoter": Q(nps__gte=9),
    "passive": Q(nps__gte=7, nps__lte=8),
    "detractor": Q(nps__lte=6),
}


def response_list(wave: Wave, *, unit: Unit | None = None, group: str | None = None,
                  has_comment: bool = False, q: str | None = None) -> QuerySet:
    """Return the wave's responses, filtered, newest first, with customer and unit."""
    responses = (Response.objects.filter(wave=wave, organisation=wave.organisation)
                 .select_related("customer", "unit"))
    if unit is not None:
        responses = responses.filter(unit__path__startswith=unit.path)
    if group in NPS_GROUPS:
        responses = responses.filter(NPS_GROUPS[group])
    if has_comment:
        responses = responses.exclude(comment="", improvement="")
    if q:
        responses = responses.filter(Q(comment__icontains=q) | Q(improvement__icontains=q))
    return responses.order_by(F("submitted_at").desc(nulls_last=True), "-pk")


# --- Own survey: invitations, response rates, follow-ups ------------------------------------
# (imports of this section kept here so the section can be read on its own)

from django.db.models import Exists  # noqa: E402

from accounts.models import Membership  # noqa: E402
from org.models import Contact  # noqa: E402
from org.selectors import _subtree_count  # noqa: E402
from research.models import (  # noqa: E402
    FollowUp,
    FollowUpStatus,
    Invitation,
    QuestionKind,
    ResponseStatus,
    WaveStatus,
)


def access_follow_up_by_id(organisation: Organisation, pk) -> FollowUp:
    """Return the organisation's follow-up ``pk`` with its response, customer and owner,
    or raise 404."""
    follow_up = (
        FollowUp.objects.for_organisation(organisation)
        .select_related("organisation", "owner__user", "response__wave", "response__customer",
                        "response__contact", "response__unit", "response__customer__account_owner__user")
        .filter(pk=pk).first()
    )
    if follow_up is None:
        raise Http404
    return follow_up


@dataclass(frozen=True)
class InvitationCounts:
    invited: int
    sent: int
    opened: int
    started: int
    responded: int
    reminded: int

    @property
    def rate(self) -> float | None:
        return round(100 * self.responded / self.invited, 1) if self.invited else None


def invitation_counts(wave: Wave) -> InvitationCounts:
    """Count the wave's invitations by how far each got — one query."""
    row = Invitation.objects.filter(wave=wave).aggregate(
        invited=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        started=Count("pk", filter=Q(response__isnull=False)),
        responded=Count("pk", filter=Q(response__status=ResponseStatus.SUBMITTED)),
        reminded=Count("pk", filter=Q(reminded_at__isnull=False)),
    )
    return InvitationCounts(**row)


def uninvited_contact_count(wave: Wave) -> int:
    """How many primary contacts with an e-mail address are not invited to the wave yet."""
    invited = Invitation.objects.filter(wave=wave, contact=OuterRef("pk"))
    return (Contact.objects.filter(customer__organisation_id=wave.organisation_id, is_primary=True)
            .exclude(email="").exclude(Exists(invited)).count())


def response_rates_by_unit(wave: Wave) -> list[Unit]:
    """Return the organisation's units in tree order, each with ``invited``, ``responded``
    (submitted through the invitation), ``response_count`` (all submitted responses,
    imported ones included) and ``rate`` (% of invited), each over the unit's whole subtree — one
    query, like ``org.selectors.unit_tree_with_rollups``. An invitation counts for the
    unit of its contact's customer."""
    invitations = Invitation.objects.filter(wave=wave)
    units = list(
        Unit.objects.for_organisation(wave.organisation)
        .annotate(
            invited=_subtree_count(invitations, "contact__customer__unit"),
            responded=_subtree_count(invitations.filter(response__status=ResponseStatus.SUBMITTED),
                                     "contact__customer__unit"),
            response_count=_subtree_count(Response.objects.filter(
                wave=wave, status=ResponseStatus.SUBMITTED), "unit"),
        )
        .order_by("path")
    )
    for unit in units:
        unit.rate = round(100 * unit.responded / unit.invited, 1) if unit.invited else None
    return units


def invitation_for_contact(contact_id: int, organisation_id: int, *,
                           wave_id: int | None = None) -> Invitation | None:
    """Return the contact's invitation to ``wave_id`` (any status), or else to the open
    wave it was most recently invited to. Scoped to the organisation of the session."""
    invitations = (Invitation.objects
                   .filter(contact_id=contact_id, organisation_id=organisation_id,
                           wave__organisation_id=organisation_id,
                           contact__customer__organisation_id=organisation_id)
                   .select_related("wave__organisation", "contact__customer", "response"))
    if wave_id is not None:
        return invitations.filter(wave_id=wave_id).first()
    return (invitations.filter(wave__status=WaveStatus.OPEN)
            .order_by(F("reminded_at").desc(nulls_last=True), F("sent_at").desc(nulls_last=True),
                      "-pk").first())


def wave_by_public_token(token: str) -> Wave | None:
    """Return the anonymous wave whose public link is ``token``, or None."""
    from accounts.models import MagicLink

    if not token:
        return None
    return (Wave.objects.select_related("organisation")
            .filter(is_anonymous=True, public_token_hash=MagicLink.hash_token(token)).first())


def follow_up_list(organisation: Organisation, *, owner: Membership | None = None,
                   status: str | None = None, reason: str | None = None,
                   unit: Unit | None = None) -> QuerySet:
    """Return the organisation's follow-ups, filtered; ``unit`` includes its subtree."""
    follow_ups = (FollowUp.objects.for_organisation(organisation)
                  .select_related("owner__user", "response__customer", "response__contact",
                                  "response__unit", "response__wave"))
    if owner is not None:
        follow_ups = follow_ups.filter(owner=owner)
    if status:
        follow_ups = follow_ups.filter(status=status)
    if reason:
        follow_ups = follow_ups.filter(reason=reason)
    if unit is not None:
        follow_ups = follow_ups.filter(response__unit__path__startswith=unit.path)
    return follow_ups.order_by("status", "-created_at", "-pk")


def my_open_follow_ups(membership: Membership) -> list[FollowUp]:
    """Return the member's follow-ups that are not done, oldest first."""
    return list(
        FollowUp.objects.filter(organisation_id=membership.organisation_id, owner=membership)
        .exclude(status=FollowUpStatus.DONE)
        .select_related("response__customer", "response__contact", "response__wave")
        .order_by("created_at", "pk")
    )


def open_question_fields(questions) -> dict[str, str]:
    """Map each open question's key to where its answer is kept: the question keyed
    "improve" to ``improvement``, the first other one ("why this score?") to ``comment``,
    any further ones to ``attributes``."""
    fields, comment_taken = {}, False
    for question in questions:
        if question.kind != QuestionKind.OPEN:
            continue
        if question.key == "improve":
            fields[question.key] = "improvement"
        elif not comment_taken:
            fields[question.key], comment_taken = "comment", True
        else:
            fields[question.key] = "attributes"
    return fields


@dataclass(frozen=True)
class AnswerRow:
    """One question of a response's wave with the answer given, for display."""

    question: str
    kind: str
    answer: object


def response_answer_rows(response: Response, *, language: str) -> list[AnswerRow]:
    """Return the response's answers in the order of its wave's questionnaire."""
    rows = []
    questions = list(response.wave.questions.order_by("position", "pk"))
    open_fields = open_question_fields(questions)
    for question in questions:
        kind = question.kind
        if kind == QuestionKind.NPS:
            answer = response.nps
        elif kind == QuestionKind.OPEN:
            target = open_fields[question.key]
            answer = (getattr(response, target) if target != "attributes"
                      else response.attributes.get(question.key))
        elif kind in (QuestionKind.DRIVER, QuestionKind.CORE_VALUE):
            answer = response.scores.get(question.key)
        elif kind == QuestionKind.COMPETITOR:
            answer = response.competitors.get(question.subject)
        elif kind == QuestionKind.ATTRIBUTE:
            answer = response.attributes.get(question.key)
        else:
            answer = response.contact_me
        rows.append(AnswerRow(question.text(language), kind, answer))
    return rows


def response_page_api(wave: Wave, *, unit: Unit | None = None, since=None, limit: int = 100,
                      offset: int = 0) -> tuple[int, list[Response]]:
    """Return the count and one page of the wave's responses in the order recorded (by id),
    so pages stay stable while new responses arrive; for the REST API."""
    responses = (Response.objects.filter(wave=wave, organisation=wave.organisation)
                 .select_related("customer", "unit"))
    if unit is not None:
        responses = responses.filter(unit__path__startswith=unit.path)
    if since is not None:
        responses = responses.filter(updated_at__gte=since)
    return responses.count(), list(responses.order_by("pk")[offset:offset + limit])


def import_rejected_file(job: ImportJob) -> Path | None:
    """Return the job's file of rejected rows if there is one inside IMPORT_DIR."""
    if not job.rejected_path:
        return None
    path = Path(job.rejected_path).resolve()
    root = Path(settings.IMPORT_DIR).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def wave_to_copy(organisation: Organisation, *, period_start=None) -> Wave | None:
    """Return the wave whose questionnaire a new wave copies by default: the latest one
    starting before ``period_start``, else the most recently created one.

    (``services.wave_previous`` skips waves without a period, which would send a new
    wave back to the default questions although the organisation has waves.)
    """
    waves = Wave.objects.for_organisation(organisation)
    if period_start is not None:
        earlier = (waves.filter(period_start__lt=period_start)
                   .order_by("-period_start", "-created_at").first())
        if earlier is not None:
            return earlier
    return waves.order_by("-created_at", "-pk").first()


def survey_questions(wave: Wave) -> list[Question]:
    """The questions a customer sees: all but free-text attributes (segment, product,
    channel), which come from imports and the CRM rather than from the customer."""
    return [q for q in wave.questions.order_by("position", "pk")
            if not (q.kind == QuestionKind.ATTRIBUTE and not q.options)]
