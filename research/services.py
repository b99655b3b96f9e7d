"""Writes for waves, questionnaires, single responses and follow-ups.

Bulk imports live in ``research.importing``; they share ``questionnaire_spec`` and
``follow_ups_create`` with the single-response path here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organisation, Role
from org.models import Contact, Customer, Unit
from research.models import (
    Comparison,
    Competitor,
    CoreValue,
    Driver,
    FollowUp,
    FollowUpReason,
    FollowUpStatus,
    Question,
    QuestionKind,
    Response,
    ResponseSource,
    ResponseStatus,
    Wave,
    WaveStatus,
)

QUESTIONNAIRE_FORMAT = "outside-in/questionnaire@1"

DEFAULT_DRIVERS = [
    ("bereikbaarheid", "Bereikbaarheid", "Reachability"),
    ("snelheid", "Snelheid", "Speed"),
    ("vriendelijkheid", "Vriendelijkheid", "Friendliness"),
    ("deskundigheid", "Deskundigheid", "Expertise"),
    ("prijs-kwaliteit", "Prijs/kwaliteit", "Price/value"),
    ("communicatie", "Communicatie", "Communication"),
]
DEFAULT_ATTRIBUTES = [
    ("segment", "Segment", "Segment"),
    ("product", "Product", "Product"),
    ("kanaal", "Kanaal", "Channel"),
]


class QuestionnaireInvalid(ValueError):
    """A questionnaire JSON document that cannot be used, with the reason."""


class AnonymousLinkRefused(ValueError):
    """A customer or contact was given for a response of an anonymous wave."""


class ResponseInvalid(ValueError):
    """Answers that do not fit the questionnaire; ``errors`` maps question key to message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


# --- Organisation settings ------------------------------------------------------------

def drivers_ensure_defaults(*, organisation: Organisation) -> list[Driver]:
    """Give an organisation the default drivers if it has none yet."""
    if not Driver.objects.for_organisation(organisation).exists():
        Driver.objects.bulk_create(
            Driver(organisation=organisation, key=key, name_nl=nl, name_en=en, position=i)
            for i, (key, nl, en) in enumerate(DEFAULT_DRIVERS)
        )
    return list(Driver.objects.for_organisation(organisation).filter(is_active=True))


# --- Questionnaires -------------------------------------------------------------------

def _default_questions(organisation: Organisation) -> list[dict]:
    name = organisation.name
    questions = [
        {"key": "nps", "kind": QuestionKind.NPS, "scale_max": 10, "is_required": True,
         "text_nl": f"Hoe waarschijnlijk is het dat je {name} aanbeveelt aan vrienden of collega's?",
         "text_en": f"How likely are you to recommend {name} to a friend or colleague?"},
        {"key": "why", "kind": QuestionKind.OPEN,
         "text_nl": "Wat is de belangrijkste reden voor je score?",
         "text_en": "What is the main reason for your score?"},
    ]
    for driver in drivers_ensure_defaults(organisation=organisation):
        questions.append({
            "key": driver.key, "kind": QuestionKind.DRIVER, "subject": driver.name_nl,
            "scale_max": 10,
            "text_nl": f"Hoe beoordeel je onze {driver.name_nl.lower()}?",
            "text_en": f"How do you rate our {(driver.name_en or driver.name_nl).lower()}?",
        })
    for value in CoreValue.objects.for_organisation(organisation):
        questions.append({
            "key": f"kernwaarde-{value.pk}", "kind": QuestionKind.CORE_VALUE,
            "subject": value.name, "scale_max": 10,
            "text_nl": f"In hoeverre ervaar je ons als {value.name.lower()}?",
            "text_en": f"How much do you experience us as {value.name.lower()}?",
        })
    for competitor in Competitor.objects.for_organisation(organisation):
        questions.append({
            "key": f"concurrent-{competitor.pk}", "kind": QuestionKind.COMPETITOR,
            "subject": competitor.name, "scale_max": 0,
            "options": [c.value for c in Comparison],
            "text_nl": f"Ken je {competitor.name}? Doen wij het beter, even goed of slechter?",
            "text_en": f"Do you know {competitor.name}? Do we do better, the same or worse?",
        })
    questions.append({
        "key": "improve", "kind": QuestionKind.OPEN,
        "text_nl": "Wat is het ene dat we zouden moeten verbeteren?",
        "text_en": "What one thing should we improve?",
    })
    for key, nl, en in DEFAULT_ATTRIBUTES:
        questions.append({"key": key, "kind": QuestionKind.ATTRIBUTE, "subject": nl,
                          "text_nl": nl, "text_en": en, "scale_max": 0})
    questions.append({
        "key": "contact-me", "kind": QuestionKind.CONTACT_ME, "scale_max": 0,
        "text_nl": "Ik wil graag dat iemand contact met me opneemt over mijn antwoorden.",
        "text_en": "I would like someone to contact me about my answers.",
    })
    return questions


def _question_dicts(wave: Wave) -> list[dict]:
    return [
        {"key": q.key, "kind": q.kind, "text_nl": q.text_nl, "text_en": q.text_en,
         "subject": q.subject, "scale_max": q.scale_max, "options": q.options,
         "is_required": q.is_required}
        for q in wave.questions.all()
    ]


def _questions_replace(*, wave: Wave, questions: list[dict]) -> None:
    wave.questions.all().delete()
    Question.objects.bulk_create(
        Question(wave=wave, position=i, **_clean_question(q, i)) for i, q in enumerate(questions)
    )


def _clean_question(data: dict, index: int) -> dict:
    where = f"question {index + 1}"
    if not isinstance(data, dict):
        raise QuestionnaireInvalid(f"{where} is not an object")
    key = str(data.get("key", "")).strip()
    kind = data.get("kind")
    if not key or len(key) > 60 or not key.replace("-", "").replace("_", "").isalnum():
        raise QuestionnaireInvalid(f"{where}: key must be letters, digits, - or _")
    if kind not in QuestionKind.values:
        raise QuestionnaireInvalid(f"{where}: unknown kind {kind!r}")
    text_nl = str(data.get("text_nl", "")).strip()
    if not text_nl:
        raise QuestionnaireInvalid(f"{where}: text_nl is required")
    scale_max = data.get("scale_max", 10 if kind in (QuestionKind.NPS, QuestionKind.DRIVER,
                                                      QuestionKind.CORE_VALUE) else 0)
    if kind == QuestionKind.NPS:
        scale_max = 10
    if not isinstance(scale_max, int) or not 0 <= scale_max <= 10:
        raise QuestionnaireInvalid(f"{where}: scale_max must be a whole number from 0 to 10")
    if kind in (QuestionKind.DRIVER, QuestionKind.CORE_VALUE) and scale_max < 2:
        raise QuestionnaireInvalid(f"{where}: a rating needs a scale of at least 2")
    options = data.get("options") or []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise QuestionnaireInvalid(f"{where}: options must be a list of texts")
    return {"key": key, "kind": kind, "text_nl": text_nl[:300],
            "text_en": str(data.get("text_en", "")).strip()[:300],
            "subject": str(data.get("subject", "")).strip()[:120], "scale_max": scale_max,
            "options": options, "is_required": bool(data.get("is_required", False))}


def questionnaire_export(*, wave: Wave) -> dict:
    """Return the wave's questionnaire as a JSON-ready document."""
    return {"format": QUESTIONNAIRE_FORMAT, "wave": wave.name, "questions": _question_dicts(wave)}


@transaction.atomic
def questionnaire_import(*, wave: Wave, document: dict) -> list[Question]:
    """Replace the wave's questionnaire by ``document``; refused once responses exist."""
    if not isinstance(document, dict) or document.get("format") != QUESTIONNAIRE_FORMAT:
        raise QuestionnaireInvalid(f"not an Outside-In questionnaire (format {QUESTIONNAIRE_FORMAT})")
    questions = document.get("questions")
    if not isinstance(questions, list) or not questions:
        raise QuestionnaireInvalid("the questionnaire has no questions")
    cleaned = [_clean_question(q, i) for i, q in enumerate(questions)]
    keys = [q["key"] for q in cleaned]
    if len(set(keys)) != len(keys):
        raise QuestionnaireInvalid("two questions have the same key")
    if sum(q["kind"] == QuestionKind.NPS for q in cleaned) > 1:
        raise QuestionnaireInvalid("a questionnaire has at most one NPS question")
    if wave.responses.exists():
        raise QuestionnaireInvalid("the wave already has responses; its questions are fixed")
    _questions_replace(wave=wave, questions=cleaned)
    return list(wave.questions.all())


def wave_previous(*, wave: Wave) -> Wave | None:
    """Return the organisation's wave before ``wave`` (by period, then creation)."""
    earlier = Wave.objects.for_organisation(wave.organisation).exclude(pk=wave.pk)
    if wave.period_start:
        earlier = earlier.filter(period_start__lt=wave.period_start)
    else:
        earlier = earlier.filter(created_at__lt=wave.created_at)
    return earlier.order_by("-period_start", "-created_at").first()


@transaction.atomic
def wave_create(*, organisation: Organisation, actor: Membership | None, name: str,
                period_start: date | None = None, period_end: date | None = None,
                is_anonymous: bool = False, copy_from: Wave | None = None,
                copy_previous: bool = True) -> Wave:
    """Create a draft wave; its questionnaire is copied from ``copy_from``, else from the
    latest earlier wave, else built from the organisation's drivers and core values."""
    name = name.strip()
    if not name:
        raise ValueError("A wave needs a name.")
    if Wave.objects.for_organisation(organisation).filter(name=name).exists():
        raise ValueError(f"A wave named {name!r} already exists.")
    if period_start and period_end and period_end < period_start:
        raise ValueError("The period ends before it starts.")
    if copy_from is not None and copy_from.organisation_id != organisation.pk:
        raise ValueError("Can only copy a questionnaire of the same organisation.")
    wave = Wave.objects.create(
        organisation=organisation, name=name, period_start=period_start, period_end=period_end,
        is_anonymous=is_anonymous, created_by=actor.user if actor else None,
    )
    source = copy_from or (wave_previous(wave=wave) if copy_previous else None)
    questions = _question_dicts(source) if source else _default_questions(organisation)
    _questions_replace(wave=wave, questions=questions)
    return wave


@transaction.atomic
def wave_set_status(*, wave: Wave, status: str) -> Wave:
    if status not in WaveStatus.values:
        raise ValueError(f"Unknown status {status!r}.")
    wave.status = status
    wave.save(update_fields=["status"])
    return wave


def wave_public_link_issue(*, wave: Wave) -> str:
    """Give an anonymous wave a new public link token (the old one stops working)."""
    from accounts.models import MagicLink

    if not wave.is_anonymous:
        raise ValueError("Only an anonymous wave has a public link.")
    token = secrets.token_urlsafe(32)
    wave.public_token_hash = MagicLink.hash_token(token)
    wave.save(update_fields=["public_token_hash"])
    return token


# --- The questionnaire as plain data, shared by every way responses come in ------------

@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: str
    scale_max: int
    subject: str
    options: tuple[str, ...]
    is_required: bool


@dataclass(frozen=True)
class QuestionnaireSpec:
    questions: tuple[QuestionSpec, ...]

    def by_kind(self, *kinds: str) -> list[QuestionSpec]:
        return [q for q in self.questions if q.kind in kinds]

    def get(self, key: str) -> QuestionSpec | None:
        return next((q for q in self.questions if q.key == key), None)


def questionnaire_spec(wave: Wave) -> QuestionnaireSpec:
    return QuestionnaireSpec(tuple(
        QuestionSpec(q.key, q.kind, q.scale_max, q.subject, tuple(q.options), q.is_required)
        for q in wave.questions.all()
    ))


@dataclass
class Answers:
    """Answers by question key, as they come from a form, the API or a parsed row."""

    nps: int | None = None
    comment: str = ""
    improvement: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    competitors: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    contact_me: bool = False


def answers_validate(spec: QuestionnaireSpec, answers: Answers, *, complete: bool) -> None:
    """Raise ResponseInvalid when answers fall outside the questionnaire's scales.

    Missing answers are fine, except required ones when ``complete`` (a submission).
    """
    errors: dict[str, str] = {}
    if answers.nps is not None and not (isinstance(answers.nps, int) and 0 <= answers.nps <= 10):
        errors["nps"] = "must be a whole number from 0 to 10"
    ratings = {q.key: q for q in spec.by_kind(QuestionKind.DRIVER, QuestionKind.CORE_VALUE)}
    for key, value in answers.scores.items():
        question = ratings.get(key)
        if question is None:
            errors[key] = "is not a rating question of this wave"
        elif not isinstance(value, int | float) or not 0 <= value <= question.scale_max:
            errors[key] = f"must be a number from 0 to {question.scale_max}"
    competitors = {q.subject for q in spec.by_kind(QuestionKind.COMPETITOR)}
    for name, value in answers.competitors.items():
        if name not in competitors:
            errors[name] = "is not a competitor asked about in this wave"
        elif value not in Comparison.values:
            errors[name] = "must be better, same or worse"
    if complete:
        for question in spec.questions:
            if question.is_required and question.kind == QuestionKind.NPS and answers.nps is None:
                errors[question.key] = "is required"
    if errors:
        raise ResponseInvalid(errors)


# --- Single responses (own survey, public link, API) ----------------------------------

@transaction.atomic
def response_record(*, wave: Wave, answers: Answers, source: str = ResponseSource.API,
                    customer: Customer | None = None, contact: Contact | None = None,
                    unit: Unit | None = None, external_id: str = "", language: str = "",
                    submit: bool = True, response: Response | None = None) -> Response:
    """Save one response (new, or ``response`` updated) and, once submitted, its follow-up.

    A partial save (``submit=False``) keeps what was answered so far. An anonymous wave
    stores no customer, contact or unit link: naming a customer or contact for one raises
    ``AnonymousLinkRefused`` (a caller that does so is mistaken about the wave), a unit
    is dropped. The database refuses such a link too (``research.db_guards``).
    """
    if wave.is_anonymous and (customer is not None or contact is not None):
        raise AnonymousLinkRefused("An anonymous wave stores no link to a customer or contact.")
    if wave.status != WaveStatus.OPEN and source != ResponseSource.API:
        raise ResponseInvalid({"wave": "is not open"})
    for obj in (customer, unit):
        if obj is not None and obj.organisation_id != wave.organisation_id:
            raise ValueError("Customer or unit of another organisation.")
    if contact is not None and contact.customer.organisation_id != wave.organisation_id:
        raise ValueError("Contact of another organisation.")
    answers_validate(questionnaire_spec(wave), answers, complete=submit)
    if wave.is_anonymous:
        customer = contact = unit = None
    elif contact is not None and customer is None:
        customer = contact.customer
    if customer is not None and unit is None:
        unit = customer.unit
    now = timezone.now()
    # Insights count submitted responses only: a partial save of one never submitted
    # (the survey's autosave) changes no figure and needs no refresh.
    counted_before = response is not None and response.status == ResponseStatus.SUBMITTED
    if response is None:
        if external_id and wave.responses.filter(external_id=external_id).exists():
            raise ResponseInvalid({"external_id": "a response with this id already exists"})
        response = Response(organisation=wave.organisation, wave=wave, external_id=external_id)
    elif response.wave_id != wave.pk:
        raise ValueError("The response belongs to another wave.")
    response.customer, response.contact, response.unit = customer, contact, unit
    response.nps = answers.nps
    response.comment, response.improvement = answers.comment.strip(), answers.improvement.strip()
    response.scores, response.competitors = answers.scores, answers.competitors
    response.attributes, response.contact_me = answers.attributes, answers.contact_me
    response.language, response.source = language[:8], source
    response.status = ResponseStatus.SUBMITTED if submit else ResponseStatus.PARTIAL
    response.submitted_at = now if submit else None
    response.save()
    if submit:
        follow_ups_create(wave=wave, response_ids=[response.pk])
    from insights.services import response_changed_on_commit  # insights imports research

    if submit or counted_before:
        response_changed_on_commit(response)
    return response


# --- Closing the loop ---------------------------------------------------------------------

def _nearest_managers(organisation: Organisation) -> dict[int, int]:
    """Map every unit id to the membership id of its nearest manager up the tree
    (active managers with a unit; the latest wins when a unit has several)."""
    managers = {
        unit_id: pk for pk, unit_id in Membership.objects.active()
        .filter(organisation=organisation, role=Role.MANAGER, unit__isnull=False)
        .order_by("pk").values_list("pk", "unit_id")
    }
    if not managers:
        return {}
    units = list(Unit.objects.for_organisation(organisation).values_list("pk", "path"))
    by_path = {path: pk for pk, path in units}
    nearest = {}
    for pk, path in units:
        for end in range(len(path), 0, -Unit.steplen):
            ancestor = by_path.get(path[:end])
            if ancestor in managers:
                nearest[pk] = managers[ancestor]
                break
    return nearest


def follow_ups_create(*, wave: Wave, response_ids: list[int] | None = None,
                      import_job=None, now=None) -> int:
    """Create a follow-up for each submitted detractor (0–6) or contact request with a
    customer and no follow-up yet — among ``response_ids``, or the responses of
    ``import_job`` — owned by the customer's active account owner, else the nearest
    manager up the response unit's tree. Return how many were created.

    One INSERT ... SELECT for any number of responses: building model objects cost more
    than the whole import of a large file.
    """
    from django.db import connection

    if response_ids is None and import_job is None:
        raise ValueError("Name the responses or the import job.")
    if response_ids is not None and not response_ids:
        return 0
    quote = connection.ops.quote_name
    nearest = _nearest_managers(wave.organisation)
    response, follow_up = Response._meta.db_table, FollowUp._meta.db_table
    customer, membership = Customer._meta.db_table, Membership._meta.db_table
    if nearest:
        values = ", ".join(f"({int(u)}, {int(m)})" for u, m in nearest.items())
        fallback_join = f"LEFT JOIN (VALUES {values}) AS fb ON fb.column1 = r.unit_id"
        fallback = "fb.column2"
    else:
        fallback_join, fallback = "", "NULL"
    if import_job is not None:
        which, which_params = "r.import_job_id = %s", [import_job.pk]
    else:
        which = f"r.id IN ({', '.join(['%s'] * len(response_ids))})"
        which_params = list(response_ids)
    sql = f"""
        INSERT INTO {quote(follow_up)} (organisation_id, response_id, owner_id, reason, status,
                                        outcome, created_at)
        SELECT r.organisation_id, r.id,
               CASE WHEN m.id IS NOT NULL THEN m.id ELSE {fallback} END,
               CASE WHEN r.nps IS NOT NULL AND r.nps <= 6 THEN %s ELSE %s END,
               %s, '', %s
        FROM {quote(response)} r
        JOIN {quote(customer)} c ON c.id = r.customer_id
        LEFT JOIN {quote(membership)} m ON m.id = c.account_owner_id AND m.is_active = %s
        {fallback_join}
        WHERE {which} AND r.wave_id = %s AND r.status = %s
          AND (r.nps <= 6 OR r.contact_me = %s)
          AND NOT EXISTS (SELECT 1 FROM {quote(follow_up)} f WHERE f.response_id = r.id)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [FollowUpReason.DETRACTOR, FollowUpReason.CONTACT_ME,
                             FollowUpStatus.OPEN, now or timezone.now(), True, *which_params,
                             wave.pk, ResponseStatus.SUBMITTED, True])
        return cursor.rowcount


@transaction.atomic
def follow_up_update(*, follow_up: FollowUp, status: str, outcome: str | None = None) -> FollowUp:
    if status not in FollowUpStatus.values:
        raise ValueError(f"Unknown status {status!r}.")
    follow_up.status = status
    if outcome is not None:
        follow_up.outcome = outcome.strip()
    follow_up.closed_at = timezone.now() if status == FollowUpStatus.DONE else None
    follow_up.save(update_fields=["status", "outcome", "closed_at"])
    return follow_up
