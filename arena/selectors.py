"""Reads for the klantarena: access, lists, suggestions, seating, names and the report."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Membership, Organisation
from arena.models import Arena, ArenaInvitation, ArenaOutcome, Promotership, Rsvp
from live.formats import RoomRole
from live.models import RoomParticipant


def access_arena_by_id(organisation: Organisation, pk) -> Arena:
    """Return the organisation's arena ``pk`` or raise 404."""
    arena = (Arena.objects.for_organisation(organisation)
             .select_related("room", "moderator__user", "wave").filter(pk=pk).first())
    if arena is None:
        raise Http404
    return arena


def access_invitation_by_id(arena: Arena, pk) -> ArenaInvitation:
    invitation = (ArenaInvitation.objects.select_related("contact__customer", "arena", "link")
                  .filter(arena=arena, pk=pk).first())
    if invitation is None:
        raise Http404
    return invitation


def arena_list(organisation: Organisation) -> QuerySet:
    return (Arena.objects.for_organisation(organisation)
            .select_related("room", "moderator__user")
            .prefetch_related("units"))


def group_of(score: int | None) -> str:
    if score is None:
        return Promotership.UNKNOWN
    if score >= 9:
        return Promotership.PROMOTER
    if score >= 7:
        return Promotership.PASSIVE
    return Promotership.DETRACTOR


def _latest_wave(organisation: Organisation, wave=None):
    from research.models import Wave, WaveStatus

    if wave is not None:
        return wave
    return (Wave.objects.filter(organisation=organisation, status__in=[WaveStatus.CLOSED,
                                                                      WaveStatus.OPEN],
                                responses__isnull=False)
            .order_by("-period_end", "-created_at").distinct().first())


def promotership_of(*, contact, wave=None) -> str:
    """Return the contact's group by their latest answer in ``wave`` (else the latest wave)."""
    from research.models import Response, ResponseStatus

    wave = _latest_wave(contact.customer.organisation, wave)
    if wave is None:
        return Promotership.UNKNOWN
    score = (Response.objects.filter(wave=wave, status=ResponseStatus.SUBMITTED, nps__isnull=False)
             .filter(Q(contact=contact) | Q(contact__isnull=True, customer=contact.customer_id))
             .order_by("-submitted_at").values_list("nps", flat=True).first())
    return group_of(score)


@dataclass(frozen=True)
class Suggestion:
    contact_id: int
    name: str
    customer: str
    unit: str
    score: int
    group: str
    comment: str


def customer_suggestions(*, arena: Arena, per_group: int = 4) -> list[Suggestion]:
    """Suggest a mix of promoters, passives and detractors from the latest wave.

    Only contacts with an e-mail address, of customers of the arena's units (all units
    when none is chosen), not yet on the list; those who explained their score first.
    """
    from research.models import Response, ResponseStatus

    wave = _latest_wave(arena.organisation, arena.wave)
    if wave is None:
        return []
    responses = (Response.objects.filter(wave=wave, status=ResponseStatus.SUBMITTED,
                                         nps__isnull=False, contact__isnull=False)
                 .exclude(contact__email="")
                 .exclude(contact__in=arena.invitations.values("contact")))
    units = list(arena.units.all())
    if units:
        scope = Q()
        for unit in units:
            scope |= Q(unit__path__startswith=unit.path)
        responses = responses.filter(scope)
    bands = {Promotership.DETRACTOR: Q(nps__lte=6), Promotership.PASSIVE: Q(nps__in=[7, 8]),
             Promotership.PROMOTER: Q(nps__gte=9)}
    picked: dict[str, list[Suggestion]] = {}
    seen: set[int] = set()
    for group, band in bands.items():
        rows = (responses.filter(band)
                .select_related("contact__customer", "unit")
                .order_by("-submitted_at")[: per_group * 6])
        mine = picked.setdefault(group, [])
        # Prefer customers who said why, then the most recent; one contact once.
        for response in sorted(rows, key=lambda r: (not r.comment.strip(),)):
            if response.contact_id in seen or len(mine) >= per_group:
                continue
            seen.add(response.contact_id)
            mine.append(Suggestion(
                contact_id=response.contact_id, name=response.contact.name,
                customer=response.contact.customer.name,
                unit=response.unit.name if response.unit else "", score=response.nps, group=group,
                comment=response.comment[:200]))
    # Interleave so that the first rows already form a mix.
    mixed = []
    for i in range(per_group):
        for group in (Promotership.DETRACTOR, Promotership.PASSIVE, Promotership.PROMOTER):
            if i < len(picked[group]):
                mixed.append(picked[group][i])
    return mixed


def staff_participants(arena: Arena) -> list[RoomParticipant]:
    return list(RoomParticipant.objects.filter(room=arena.room, membership__isnull=False)
                .select_related("membership__user", "membership__unit")
                .order_by("role", "membership__user__name"))


def invitations(arena: Arena) -> list[ArenaInvitation]:
    return list(arena.invitations.select_related("contact__customer"))


def attended(arena: Arena) -> QuerySet:
    """Return the invitations of customers who came (said yes, spoke or voted in the room)."""
    state = arena.room.state
    present = {st["customer"] for st in state["statements"].values() if st.get("customer")}
    present |= {int(actor[2:]) for votes in state["votes"].values() for actor in votes
                if actor.startswith("c:")}
    return (arena.invitations.select_related("contact__customer")
            .filter(Q(rsvp=Rsvp.YES) | Q(contact_id__in=present)))


def actor_names(arena: Arena) -> dict[str, str]:
    """Return display names by actor key (``m:<id>``, ``c:<id>``) for everyone in the room."""
    from org.models import Contact

    room = arena.room
    names = {f"m:{m.pk}": m.name for m in Membership.objects.select_related("user")
             .filter(organisation=arena.organisation)
             .filter(Q(room_participations__room=room) | Q(pk=room.facilitator_id)
                     | Q(pk=arena.moderator_id) | Q(role__in=["admin", "consultant"])).distinct()}
    state = room.state
    contact_ids = {s["customer"] for s in state["statements"].values() if s.get("customer")}
    contact_ids |= set(arena.invitations.values_list("contact_id", flat=True))
    keyed = _all_actor_keys(state)
    member_ids = {int(k[2:]) for k in keyed if k.startswith("m:") and k not in names}
    contact_ids |= {int(k[2:]) for k in keyed if k.startswith("c:")}
    for m in Membership.objects.select_related("user").filter(pk__in=member_ids,
                                                              organisation=arena.organisation):
        names[f"m:{m.pk}"] = m.name
    for c in Contact.objects.filter(pk__in=contact_ids, customer__organisation=arena.organisation):
        names[f"c:{c.pk}"] = c.name
    return names


def _all_actor_keys(state: dict) -> set[str]:
    keys = set()
    for collection in ("statements", "questions", "evaluations", "commitments", "groups", "actions"):
        keys |= {item["by"] for item in state[collection].values() if item.get("by")}
    for votes in state["votes"].values():
        keys |= set(votes)
    if state.get("facilitator"):
        keys.add(state["facilitator"])
    return keys


def speakers_by_group(state: dict) -> dict[str, set[int]]:
    """Return, per group of the room's ``state``, the contacts whose statements are in it.

    Pure over the room state, so that the portal's data migration can use it too.
    """
    speakers: dict[str, set[int]] = {}
    for group in state.get("groups", {}).values():
        for sid in group.get("statements", []):
            statement = state.get("statements", {}).get(sid)
            if statement and statement.get("customer"):
                speakers.setdefault(str(group["id"]), set()).add(int(statement["customer"]))
    return speakers


def raised_by(*, arena: Arena, contact) -> list:
    """Return the improvement points of ``arena`` whose evidence includes this customer's words."""
    state = arena.room.state
    groups = {s["group"] for s in state["statements"].values()
              if s.get("customer") == contact.pk and s.get("group")}
    outcomes = (ArenaOutcome.objects.filter(arena=arena, kind=ArenaOutcome.Kind.POINT, item__in=groups)
                .select_related("point"))
    return [o.point for o in outcomes]


# Seating ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Seat:
    name: str
    detail: str
    ring: str
    x: float
    y: float
    css: str

    @property
    def label_y(self) -> float:
        return round(self.y + (32 if self.ring == "inner" else 30), 1)

    @property
    def corner(self) -> tuple[float, float]:
        return round(self.x - 14, 1), round(self.y - 14, 1)


def seating(arena: Arena) -> dict:
    """Place the inner ring (customers) and outer ring (employees) on two circles."""
    customers = [i for i in invitations(arena) if i.rsvp != Rsvp.NO]
    staff = staff_participants(arena)
    outer = [p for p in staff if p.role == RoomRole.EMPLOYEE]
    centre = [arena.moderator.name] + [p.membership.name for p in staff if p.role == RoomRole.SCRIBE]

    def ring(items, radius, ring_name):
        seats = []
        n = max(len(items), 1)
        for i, (name, detail, css) in enumerate(items):
            angle = -math.pi / 2 + 2 * math.pi * i / n
            seats.append(Seat(name=name, detail=detail, ring=ring_name, css=css,
                              x=round(300 + radius * math.cos(angle), 1),
                              y=round(300 + radius * math.sin(angle), 1)))
        return seats

    inner = ring([(i.contact.name, i.contact.customer.name,
                   f"seat-{i.promotership or 'unknown'} rsvp-{i.rsvp}") for i in customers], 140, "inner")
    outer_seats = ring([(p.membership.name, p.membership.unit.name if p.membership.unit else "",
                         "seat-employee") for p in outer], 250, "outer")
    return {"inner": inner, "outer": outer_seats, "centre": centre}


# Status ----------------------------------------------------------------------------------

def phase_label(arena: Arena) -> str:
    from live.formats import format_get

    try:
        return str(format_get(arena.room.format).phase(arena.room.phase).label)
    except KeyError:
        return ""


# The report ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportRow:
    """One line of the report; fields not used by a section stay empty."""

    text: str = ""
    by: str = ""
    name: str = ""
    customer: str = ""
    rsvp: str = ""
    role: str = ""
    kind: str = ""
    sentiment: str = ""
    theme: str = ""
    upvotes: int = 0
    status: str = ""


@dataclass(frozen=True)
class ReportRound:
    key: str
    label: str
    statements: list[ReportRow]


@dataclass(frozen=True)
class ReportGroup:
    title: str
    votes: int
    owner: str
    reference: str
    statements: list[str]


@dataclass(frozen=True)
class ReportAction:
    title: str
    owner: str
    due: str
    group: str


@dataclass(frozen=True)
class Report:
    moderator: str
    customers: list[ReportRow]
    staff: list[ReportRow]
    rounds: list[ReportRound]
    questions: list[ReportRow]
    groups: list[ReportGroup]
    actions: list[ReportAction]
    commitments: list[ReportRow]
    evaluations: list[ReportRow]


def report_of(arena: Arena) -> Report:
    """Gather everything the arena report shows, names resolved, in the active language."""
    from django.utils.translation import gettext as _

    from live.formats import format_get

    state = arena.room.state
    names = actor_names(arena)
    fmt = format_get(arena.room.format)
    kinds = {"experience": _("experience"), "wish": _("wish"), "expectation": _("expectation"),
             "complaint": _("complaint"), "answer": _("answer")}
    roles = {RoomRole.EMPLOYEE: _("Outer ring"), RoomRole.SCRIBE: _("Scribe"),
             RoomRole.OBSERVER: _("Observer")}
    statuses = {"queued": _("in the queue"), "current": _("being discussed"), "answered": _("answered")}

    def name(key):
        return names.get(key, "") if key else ""

    def statement_row(st):
        return ReportRow(text=st["text"], customer=name(f"c:{st['customer']}") if st.get("customer") else "",
                         kind=kinds.get(st["kind"], st["kind"]),
                         sentiment={"positive": "+", "negative": "−"}.get(st["sentiment"], ""),
                         theme=st.get("theme", ""))

    statements = sorted(state["statements"].values(), key=lambda st: int(st["id"]))
    rounds = [ReportRound(key=p.key, label=str(p.label),
                          statements=[statement_row(st) for st in statements if st["phase"] == p.key])
              for p in fmt.phases if p.key.startswith("round_")]
    questions = [ReportRow(text=q["text"], by=name(q["by"]), upvotes=len(q["upvotes"]),
                           status=statuses.get(q["status"], q["status"]))
                 for q in sorted(state["questions"].values(),
                                 key=lambda q: (-len(q["upvotes"]), int(q["id"])))
                 if not q["hidden"]]
    references = {o.item: o.point.reference for o in arena.outcomes.filter(kind=ArenaOutcome.Kind.POINT)
                  .select_related("point")}
    tallies = {gid: sum(v.values()) for gid, v in state["votes"].items()}
    groups = [ReportGroup(title=g["title"], votes=tallies.get(g["id"], 0),
                          owner=name(f"m:{g['owner']}") if g.get("owner") else "",
                          reference=references.get(g["id"], ""),
                          statements=[state["statements"][sid]["text"] for sid in g["statements"]
                                      if sid in state["statements"]])
              for g in sorted(state["groups"].values(),
                              key=lambda g: (-tallies.get(g["id"], 0), int(g["id"])))]
    actions = [ReportAction(title=a["title"], owner=name(f"m:{a['owner']}"), due=a.get("due", ""),
                            group=state["groups"].get(a.get("group") or "", {}).get("title", ""))
               for a in sorted(state["actions"].values(), key=lambda a: int(a["id"]))]
    return Report(
        moderator=arena.moderator.name,
        customers=[ReportRow(name=i.contact.name, customer=i.contact.customer.name,
                             rsvp=i.get_rsvp_display()) for i in invitations(arena)],
        staff=[ReportRow(name=p.membership.name, role=roles.get(p.role, p.role))
               for p in staff_participants(arena)],
        rounds=rounds, questions=questions, groups=groups, actions=actions,
        commitments=[ReportRow(text=c["text"], by=name(c["by"]))
                     for c in sorted(state["commitments"].values(), key=lambda c: int(c["id"]))],
        evaluations=[ReportRow(text=c["text"], by=name(c["by"]))
                     for c in sorted(state["evaluations"].values(), key=lambda c: int(c["id"]))],
    )
