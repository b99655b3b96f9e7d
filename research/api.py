"""The research part of the REST API: read waves and responses, post responses.

Endpoints authenticate with a bearer token (``outsidein.api``), check a capability
of the token's membership, and work only inside the token's organisation: another
organisation's wave is 404, exactly like one that does not exist.

Posting is all-or-nothing per request: every item is matched and validated first,
and only when all are good is anything written, through ``response_record``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from ninja import Body, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BeforeValidator, Field

from accounts.models import Membership
from accounts.permissions import Capability, role_can
from org.models import Contact, Customer, Unit
from research import selectors
from research.api_schemas import (
    ErrorOut,
    PostedOut,
    QuestionOut,
    ResponseIn,
    ResponsePage,
    ResponsesIn,
    WaveDetailOut,
    WavePage,
)
from research.models import FollowUp, Response, ResponseSource, Wave
from research.services import Answers, ResponseInvalid, answers_validate, questionnaire_spec, response_record

router = Router(tags=["research"])

MAX_ID = 2**63 - 1
WaveId = Annotated[int, Path(ge=1, le=MAX_ID, description="The wave's id.")]
ERRORS = {code: ErrorOut for code in (400, 401, 403, 404, 422, 429)}


class ApiError(HttpError):
    """An error with a list of problems, rendered as ``{"detail", "errors"}``."""

    def __init__(self, status_code: int, detail: str, errors: list[dict] | None = None):
        super().__init__(status_code, detail)
        self.errors = errors or []


def _membership(request, capability: str, *, query: type[Schema] | None = None) -> Membership:
    """Return the token's membership, or refuse with 403 when its role lacks ``capability``.

    Unknown query parameters are refused (422): a typo such as ``?unit_code=`` would
    otherwise silently return everything.
    """
    membership = request.auth.membership
    if not role_can(membership.role, capability):
        raise ApiError(403, "Your role may not do this.")
    allowed = set(query.model_fields) if query is not None else set()
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        raise ApiError(422, "The request is invalid.",
                       [{"field": name[:100], "message": "is not a parameter of this endpoint"}
                        for name in unknown[:20]])
    return membership


# --- Waves --------------------------------------------------------------------------------

class PageQuery(Schema):
    limit: int = Field(100, ge=1, le=500, description="At most this many items.")
    offset: int = Field(0, ge=0, le=10**9, description="Skip this many items.")


def _wave_out(wave: Wave, response_count: int) -> dict:
    return {"id": wave.pk, "name": wave.name, "status": wave.status,
            "period_start": wave.period_start, "period_end": wave.period_end,
            "is_anonymous": wave.is_anonymous, "response_count": response_count,
            "created_at": wave.created_at}


@router.get("/waves", response={200: WavePage, **ERRORS}, summary="List the research waves")
def wave_list(request, page: Query[PageQuery]):
    """The organisation's waves, newest first, with their response counts."""
    membership = _membership(request, Capability.VIEW_WAVES, query=PageQuery)
    waves = selectors.wave_list(membership.organisation)
    items = waves[page.offset:page.offset + page.limit]
    return {"count": len(waves), "limit": page.limit, "offset": page.offset,
            "items": [_wave_out(w, w.response_count) for w in items]}


@router.get("/waves/{id}", response={200: WaveDetailOut, **ERRORS},
            summary="One wave with its questionnaire")
def wave_detail(request, id: WaveId):  # noqa: A002 - the path names it id
    membership = _membership(request, Capability.VIEW_WAVES)
    wave = selectors.access_wave_by_id(membership.organisation, id)
    questions = [QuestionOut.from_orm(q).dict() for q in selectors.wave_questions(wave)]
    return {**_wave_out(wave, Response.objects.filter(wave=wave).count()),
            "questions": questions}


# --- Responses: read ----------------------------------------------------------------------

def _iso_datetime_only(value):
    """Refuse what pydantic would otherwise read as a Unix timestamp ("0.5")."""
    if isinstance(value, str) and not re.match(r"^\d{4}-\d{2}-\d{2}([T ]|$)", value):
        raise ValueError("must be an ISO 8601 date and time")
    return value


class ResponseQuery(PageQuery):
    unit: Annotated[str, Field(max_length=40, pattern=r"^[^\x00]*$")] | None = Field(
        None, description="Only responses of this unit (by code) and the units below it.")
    since: Annotated[datetime, BeforeValidator(_iso_datetime_only)] | None = Field(
        None, description="Only responses created or changed at or after this time "
                          "(ISO 8601; without an offset, Dutch time).")


def _aware_utc(value: datetime) -> datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ApiError(422, "The request is invalid.",
                       [{"field": "since", "message": "is out of range"}]) from exc


def _response_out(response: Response) -> dict:
    customer = response.customer
    return {
        "id": response.pk, "external_id": response.external_id,
        "customer_number": customer.customer_number or None if customer else None,
        "customer_email": customer.email or None if customer else None,
        "unit": response.unit.code or None if response.unit else None,
        "nps": response.nps, "comment": response.comment, "improvement": response.improvement,
        "scores": response.scores or {}, "competitors": response.competitors or {},
        "attributes": {str(k): str(v) for k, v in (response.attributes or {}).items()},
        "contact_me": response.contact_me, "language": response.language,
        "source": response.source, "status": response.status,
        "submitted_at": response.submitted_at, "updated_at": response.updated_at,
    }


@router.get("/waves/{id}/responses", response={200: ResponsePage, **ERRORS},
            summary="List a wave's responses")
def response_list(request, id: WaveId, filters: Query[ResponseQuery]):  # noqa: A002
    """The wave's responses in the order they were recorded (stable across pages)."""
    membership = _membership(request, Capability.VIEW_WAVES, query=ResponseQuery)
    wave = selectors.access_wave_by_id(membership.organisation, id)
    unit = None
    if filters.unit:
        unit = Unit.objects.for_organisation(membership.organisation).filter(
            code=filters.unit).first()
        if unit is None:
            raise ApiError(422, "The request is invalid.",
                           [{"field": "unit", "message": "is not a unit code of this organisation"}])
    since = _aware_utc(filters.since) if filters.since else None
    count, responses = selectors.response_page_api(wave, unit=unit, since=since,
                                                   limit=filters.limit, offset=filters.offset)
    return {"count": count, "limit": filters.limit, "offset": filters.offset,
            "items": [_response_out(r) for r in responses]}


# --- Responses: write ---------------------------------------------------------------------

@dataclass
class _Matched:
    item: ResponseIn
    answers: Answers
    customer: Customer | None = None
    contact: Contact | None = None
    unit: Unit | None = None


def _by_lower_email(queryset, field: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for obj in queryset:
        found.setdefault(getattr(obj, field).lower(), []).append(obj)
    return found


def _match(wave: Wave, items: list[ResponseIn]) -> tuple[list[_Matched], list[dict]]:
    """Match every item to its customer, contact and unit and validate its answers.

    Lookups are one query per kind for the whole batch, not one per item.
    """
    organisation = wave.organisation
    numbers = {i.customer_number.strip() for i in items if i.customer_number}
    emails = {i.customer_email.strip().lower() for i in items if i.customer_email}
    codes = {i.unit.strip() for i in items if i.unit}
    customers = Customer.objects.for_organisation(organisation).select_related("unit")
    by_number = {c.customer_number: c for c in customers.filter(customer_number__in=numbers)}
    by_email = _by_lower_email(
        customers.annotate(email_lower=Lower("email")).filter(email_lower__in=emails), "email")
    contacts_by_email = _by_lower_email(
        Contact.objects.filter(customer__organisation=organisation)
        .annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
        .select_related("customer__unit"), "email")
    units = {u.code: u for u in Unit.objects.for_organisation(organisation).filter(code__in=codes)}
    existing = set(wave.responses.filter(
        external_id__in=[i.external_id for i in items if i.external_id])
        .values_list("external_id", flat=True))
    spec = questionnaire_spec(wave)

    matched, errors, seen = [], [], set()

    def error(index: int, field: str, message: str, *, conflict: bool = False) -> None:
        errors.append({"index": index, "field": field, "message": message,
                       "conflict": conflict})

    for index, item in enumerate(items):
        answers = Answers(
            nps=item.nps, comment=item.comment, improvement=item.improvement,
            scores=dict(item.scores), competitors=dict(item.competitors),
            attributes={k.strip(): v.strip() for k, v in item.attributes.items()},
            contact_me=item.contact_me,
        )
        found = _Matched(item=item, answers=answers)
        external_id = item.external_id.strip()
        if external_id in existing:
            error(index, "external_id", "a response with this id already exists in this wave",
                  conflict=True)
        elif external_id and external_id in seen:
            error(index, "external_id", "appears more than once in this request", conflict=True)
        seen.add(external_id)
        if wave.is_anonymous and (item.customer_number or item.customer_email):
            error(index, "customer_number", "this wave is anonymous: leave the customer out")
        if item.customer_number:
            found.customer = by_number.get(item.customer_number.strip())
            if found.customer is None:
                error(index, "customer_number", "is not a customer of this organisation")
        if item.customer_email and not (item.customer_number and found.customer is None):
            email = item.customer_email.strip().lower()
            contacts = contacts_by_email.get(email, [])
            by_contact = {c.customer_id: c for c in contacts}
            candidates = {c.pk: c for c in by_email.get(email, [])}
            candidates.update({c.customer_id: c.customer for c in contacts})
            if found.customer is not None:
                if found.customer.pk not in candidates:
                    error(index, "customer_email", "belongs to another customer than the number")
                found.contact = by_contact.get(found.customer.pk)
            elif len(candidates) == 1:
                found.customer = next(iter(candidates.values()))
                found.contact = by_contact.get(found.customer.pk)
            elif not candidates:
                error(index, "customer_email", "is not a customer or contact of this organisation")
            else:
                error(index, "customer_email", "matches more than one customer; give the number")
        if item.unit:
            found.unit = units.get(item.unit.strip())
            if found.unit is None:
                error(index, "unit", "is not a unit code of this organisation")
        try:
            answers_validate(spec, answers, complete=True)
        except ResponseInvalid as exc:
            for key, message in exc.errors.items():
                error(index, key, message)
        matched.append(found)
    return matched, errors


@dataclass(frozen=True)
class Posted:
    ids: list[int]
    follow_ups: int


@transaction.atomic
def responses_post(*, wave: Wave, items: list[ResponseIn], actor=None) -> Posted:
    """Record ``items`` in ``wave`` through ``response_record``, all or nothing (and, in
    the same transaction, in the audit log as an import by ``actor``).

    Raise ApiError 422 with every problem by item and field, or 409 when the only
    problems are response ids that were already used.
    """
    wave = Wave.objects.select_related("organisation").prefetch_related("questions").get(
        pk=wave.pk)
    matched, errors = _match(wave, items)
    if errors:
        status = 409 if all(e["conflict"] for e in errors) else 422
        detail = ("Responses with these ids exist already; nothing was recorded." if status == 409
                  else "Some responses are invalid; nothing was recorded.")
        raise ApiError(status, detail, [{k: v for k, v in e.items() if k != "conflict"}
                                        for e in errors])
    ids = []
    try:
        for found in matched:
            response = response_record(
                wave=wave, answers=found.answers, source=ResponseSource.API,
                customer=found.customer, contact=found.contact, unit=found.unit,
                external_id=found.item.external_id.strip(), language=found.item.language.strip(),
                submit=True,
            )
            ids.append(response.pk)
    except ResponseInvalid as exc:  # a concurrent post took an id after our check
        raise ApiError(409, "Responses with these ids exist already; nothing was recorded.",
                       [{"field": k, "message": m} for k, m in exc.errors.items()]) from exc
    except IntegrityError as exc:
        raise ApiError(409, "A response with one of these ids was recorded meanwhile; "
                            "nothing was recorded.") from exc
    posted = Posted(ids=ids, follow_ups=FollowUp.objects.filter(response_id__in=ids).count())
    from audit.models import AuditAction
    from audit.services import audit_record

    audit_record(action=AuditAction.IMPORT_RESPONSES, organisation=wave.organisation, actor=actor,
                 target=wave, details={"source": "api", "status": "succeeded", "written": True,
                                       "imported": len(ids), "follow_ups": posted.follow_ups})
    return posted


@router.post("/waves/{id}/responses",
             response={201: PostedOut, **ERRORS, 409: ErrorOut},
             summary="Record one response or a list of up to 1,000")
def response_post(request, id: WaveId, payload: Body[ResponsesIn]):  # noqa: A002
    """Record responses, all or nothing. Customers are matched by number or e-mail
    address, units by code; a detractor or a "contact me" creates a follow-up."""
    membership = _membership(request, Capability.IMPORT_RESPONSES)
    wave = selectors.access_wave_by_id(membership.organisation, id)
    items = payload if isinstance(payload, list) else [payload]
    posted = responses_post(wave=wave, items=items, actor=membership)
    return Status(201, {"created": len(posted.ids), "ids": posted.ids,
                        "follow_ups": posted.follow_ups})
