"""Reads of the klantsafari, always scoped to one organisation."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, Role
from arena.models import ArenaInvitation
from improvements.models import Theme
from journeys.models import Touchpoint
from org.models import Customer, Unit
from research.models import Response, Wave
from safari.models import AdvicePoint, SafariRound, Visit, VisitReason, VisitStatus

# Roles that may be sent on a safari: every staff role (a moderator is an outsider).
VISITOR_ROLES = (Role.ADMIN, Role.CONSULTANT, Role.BOARD, Role.MANAGER, Role.EMPLOYEE)
# Segment names that mark a large account, in the words organisations use for them.
LARGE_SEGMENT_WORDS = ("groot", "large", "key", "enterprise", "corporate", "strategisch")
SUGGESTIONS_PER_REASON = 4
QUIET_DAYS = 365


def access_round_by_id(organisation: Organisation, pk: int) -> SafariRound:
    return get_object_or_404(SafariRound.objects.for_organisation(organisation), pk=pk)


def access_visit_by_id(organisation: Organisation, pk: int) -> Visit:
    return get_object_or_404(
        Visit.objects.for_organisation(organisation).select_related(
            "round", "visitor__user", "customer__unit", "contact"), pk=pk)


def visitor_choices(organisation: Organisation):
    return (Membership.objects.active().filter(organisation=organisation, role__in=VISITOR_ROLES)
            .select_related("user").order_by("user__name"))


def round_list(organisation: Organisation):
    return (SafariRound.objects.for_organisation(organisation)
            .annotate(n_visitors=Count("visitors", distinct=True),
                      n_planned=Count("visits", filter=~Q(visits__status=VisitStatus.CANCELLED),
                                      distinct=True),
                      n_done=Count("visits", filter=Q(visits__status=VisitStatus.DONE), distinct=True)))


@dataclass(frozen=True)
class VisitorProgress:
    visitor: Membership
    visits: list
    done: int
    target: int

    @property
    def assigned(self) -> int:
        return len(self.visits)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.target)) if self.target else 100


def round_progress(safari_round: SafariRound) -> list[VisitorProgress]:
    """Return each visitor's visits in the round and how many of their target are reported."""
    visits = defaultdict(list)
    for visit in (safari_round.visits.exclude(status=VisitStatus.CANCELLED)
                  .select_related("customer", "contact").order_by("planned_at", "pk")):
        visits[visit.visitor_id].append(visit)
    return [VisitorProgress(visitor, visits[visitor.pk],
                            sum(1 for v in visits[visitor.pk] if v.status == VisitStatus.DONE),
                            safari_round.visits_per_visitor)
            for visitor in safari_round.visitors.select_related("user").order_by("user__name")]


# Suggestions -----------------------------------------------------------------------------

@dataclass
class Suggestion:
    customer: Customer
    reason: str  # a VisitReason
    why: list[str] = field(default_factory=list)


def _visitor_customers(organisation: Organisation, visitor: Membership):
    """Customers in the visitor's own part of the tree; the whole organisation for the top."""
    customers = Customer.objects.for_organisation(organisation)
    unit = visitor.unit
    if unit is not None and unit.depth > 1:
        subtree = Unit.objects.filter(organisation=organisation, path__startswith=unit.path)
        customers = customers.filter(unit__in=subtree)
    return customers


def latest_wave(organisation: Organisation) -> Wave | None:
    response = (Response.objects.filter(organisation=organisation, nps__isnull=False)
                .order_by("-submitted_at", "-created_at").select_related("wave").first())
    return response.wave if response else None


def suggestions_for(safari_round: SafariRound, visitor: Membership, *,
                    today: datetime.date | None = None) -> list[Suggestion]:
    """Return customers worth visiting for ``visitor``, each with why; none already in the round.

    Three kinds, a few of each: detractors of the latest wave, large accounts, and
    customers not heard from in a year (no answer, no arena, no visit).
    """
    organisation = safari_round.organisation
    now = timezone.now() if today is None else timezone.make_aware(
        datetime.datetime.combine(today, datetime.time(12)))
    taken = safari_round.visits.exclude(status=VisitStatus.CANCELLED).values("customer")
    pool = _visitor_customers(organisation, visitor).exclude(pk__in=taken).select_related("unit")
    found: dict[int, Suggestion] = {}

    def add(customer, reason, why):
        if customer.pk in found:
            found[customer.pk].why.append(why)
        else:
            found[customer.pk] = Suggestion(customer, reason, [why])

    wave = latest_wave(organisation)
    if wave is not None:
        detractors = (Response.objects.filter(wave=wave, nps__lte=6, customer__in=pool)
                      .select_related("customer__unit").order_by("nps", "-submitted_at", "pk"))
        seen = set()
        for response in detractors:
            if response.customer_id in seen:
                continue
            seen.add(response.customer_id)
            add(response.customer, VisitReason.DETRACTOR,
                _("Scored %(score)d in %(wave)s") % {"score": response.nps, "wave": wave.name})
            if len(seen) >= SUGGESTIONS_PER_REASON:
                break

    large_q = Q()
    for word in LARGE_SEGMENT_WORDS:
        large_q |= Q(segment__icontains=word)
    large = list(pool.filter(large_q).annotate(n_contacts=Count("contacts", distinct=True),
                                                n_responses=Count("responses", distinct=True))
                 .order_by("-n_contacts", "-n_responses", "name")[:SUGGESTIONS_PER_REASON])
    if not large:  # no segment says "large": the accounts with the most people and answers
        large = list(pool.annotate(n_contacts=Count("contacts", distinct=True),
                                   n_responses=Count("responses", distinct=True))
                     .filter(n_contacts__gt=1).order_by("-n_contacts", "-n_responses", "name")
                     [:SUGGESTIONS_PER_REASON])
    for customer in large:
        why = (_("Segment %(segment)s") % {"segment": customer.segment}) if customer.segment else ""
        sizes = _("%(contacts)d contacts, %(responses)d answers") % {
            "contacts": customer.n_contacts, "responses": customer.n_responses}
        add(customer, VisitReason.LARGE_ACCOUNT, f"{why} · {sizes}" if why else sizes)

    since = now - datetime.timedelta(days=QUIET_DAYS)
    quiet = (pool.annotate(
        answered=Exists(Response.objects.filter(customer=OuterRef("pk")).filter(
            Q(submitted_at__gte=since) | Q(submitted_at__isnull=True, created_at__gte=since))),
        in_arena=Exists(ArenaInvitation.objects.filter(contact__customer=OuterRef("pk"),
                                                       arena__starts_at__gte=since)),
        visited=Exists(Visit.objects.filter(customer=OuterRef("pk"), planned_at__gte=since)
                       .exclude(status=VisitStatus.CANCELLED)),
    ).filter(answered=False, in_arena=False, visited=False).order_by("name")[:SUGGESTIONS_PER_REASON])
    for customer in quiet:
        add(customer, VisitReason.NOT_HEARD,
            _("No answer, arena or visit in the last 12 months"))
    suggestions = list(found.values())
    prefetch_related_objects([s.customer for s in suggestions], "contacts")
    return suggestions


def customer_search(safari_round: SafariRound, query: str, *, limit: int = 10):
    """Return the organisation's customers matching ``query`` that are not yet in the round."""
    query = query.strip()
    if len(query) < 2:
        return Customer.objects.none()
    taken = safari_round.visits.exclude(status=VisitStatus.CANCELLED).values("customer")
    return (Customer.objects.for_organisation(safari_round.organisation).exclude(pk__in=taken)
            .filter(Q(name__icontains=query) | Q(customer_number__icontains=query)
                    | Q(contacts__name__icontains=query))
            .distinct().select_related("unit").prefetch_related("contacts").order_by("name")[:limit])


# Visits ----------------------------------------------------------------------------------

def my_visits(membership: Membership):
    return (Visit.objects.for_organisation(membership.organisation).filter(visitor=membership)
            .exclude(status=VisitStatus.CANCELLED)
            .select_related("round", "customer", "contact").order_by("status", "planned_at", "pk"))


def feed_visits(membership: Membership):
    """The member's visits for their calendar: planned ones with a time, recent and coming."""
    since = timezone.now() - datetime.timedelta(days=QUIET_DAYS)
    return (Visit.objects.for_organisation(membership.organisation)
            .filter(visitor=membership, planned_at__isnull=False, planned_at__gte=since)
            .select_related("customer", "contact", "round").order_by("planned_at", "pk"))


def touchpoints_by_journey(organisation: Organisation) -> list[tuple[str, list[Touchpoint]]]:
    groups: dict[str, list[Touchpoint]] = {}
    for touchpoint in (Touchpoint.objects.for_organisation(organisation)
                       .select_related("stage__journey")
                       .order_by("stage__journey__name", "stage__position", "position", "pk")):
        groups.setdefault(touchpoint.stage.journey.name, []).append(touchpoint)
    return list(groups.items())


def themes_of(organisation: Organisation):
    return Theme.objects.filter(organisation=organisation).order_by("name")


def advice_points(visit: Visit) -> dict[str, AdvicePoint]:
    return {a.key: a for a in visit.advice_points.select_related("point")}


# What the safaris taught -----------------------------------------------------------------

@dataclass
class LessonGroup:
    label: str
    visits: int = 0
    went_well: list = field(default_factory=list)   # (visit, text)
    went_wrong: list = field(default_factory=list)
    quotes: list = field(default_factory=list)      # (visit, quote)
    points: list = field(default_factory=list)


@dataclass(frozen=True)
class Lessons:
    visits: int
    points: int
    by_theme: list
    by_unit: list


def lessons(organisation: Organisation, *, safari_round: SafariRound | None = None) -> Lessons:
    """Group the reported visits per theme and per unit: what went well and wrong, quotes, points."""
    visits = (Visit.objects.for_organisation(organisation).filter(status=VisitStatus.DONE)
              .select_related("customer__unit", "visitor__user")
              .prefetch_related("themes", Prefetch("advice_points",
                                                   queryset=AdvicePoint.objects.select_related("point")))
              .order_by("-reported_at", "pk"))
    if safari_round is not None:
        visits = visits.filter(round=safari_round)
    visits = list(visits)
    by_theme: dict[str, LessonGroup] = {}
    by_unit: dict[str, LessonGroup] = {}
    no_theme, no_unit = _("Without a theme"), _("Without a unit")
    for visit in visits:
        theme_names = [t.name for t in visit.themes.all()] or [no_theme]
        unit_name = visit.customer.unit.name if visit.customer.unit_id else no_unit
        groups = [by_theme.setdefault(n, LessonGroup(n)) for n in theme_names]
        groups.append(by_unit.setdefault(unit_name, LessonGroup(unit_name)))
        for group in groups:
            group.visits += 1
            if visit.went_well.strip():
                group.went_well.append((visit, visit.went_well.strip()))
            if visit.went_wrong.strip():
                group.went_wrong.append((visit, visit.went_wrong.strip()))
            group.quotes.extend((visit, q) for q in visit.quote_lines())
            group.points.extend(a.point for a in visit.advice_points.all())

    def ordered(groups, last):
        return sorted(groups.values(), key=lambda g: (g.label == last, -g.visits, g.label))

    return Lessons(visits=len(visits),
                   points=sum(len(v.advice_points.all()) for v in visits),
                   by_theme=ordered(by_theme, no_theme), by_unit=ordered(by_unit, no_unit))
