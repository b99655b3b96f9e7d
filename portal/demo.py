"""The demo organisation's portal: built by outsidein.demo.demo_build.

The customers who spoke in the finished demo arena follow the points of their words
(``arena_finish`` recorded that; this makes sure of it), and one of those points has
moved on since, with an action done, so that the portal shows a history.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

# The point of the finished arena that has moved on since (see ``ARENA_GROUPS``).
MOVED_POINT = "Schade digitaal kunnen volgen"


def build(*, organisation, units, logins, employees, points, waves, route, today, rng, **_):
    """Add this app's part of the demo organisation."""
    from arena.models import Arena, ArenaOutcome, ArenaStatus
    from improvements import services as improvements
    from improvements.models import ActionStatus, Change, PointStatus
    from portal.services import arena_contributions_record, notifications_muted

    arena = (Arena.objects.filter(organisation=organisation, status=ArenaStatus.FINISHED)
             .select_related("room").order_by("starts_at").first())
    if arena is None:
        return
    arena_contributions_record(arena=arena)
    outcome = (ArenaOutcome.objects.filter(arena=arena, kind=ArenaOutcome.Kind.POINT,
                                           point__title=MOVED_POINT).select_related("point").first()
               or ArenaOutcome.objects.filter(arena=arena, kind=ArenaOutcome.Kind.POINT,
                                              point__contributions__isnull=False)
               .select_related("point").first())
    if outcome is None:
        return
    point = outcome.point
    manager = logins["manager"]
    zone = timezone.get_current_timezone()

    def at(days_ago: int, hour: int):
        return datetime.combine(today - timedelta(days=days_ago), time(hour, 0), tzinfo=zone)

    # The arena's points were recorded the morning after it (at least a week ago); the
    # history reads from then.
    recorded = max((today - timezone.localdate(arena.starts_at)).days - 1, 7)
    Change.objects.filter(point__in=arena.outcomes.values("point"), verb__in=["created", "evidence_added",
                                                                             "action_created"]) \
        .update(at=at(recorded, 9))
    with notifications_muted():  # the demo's customers have made-up addresses
        improvements.point_set_status(point=point, actor=manager, status=PointStatus.IN_PROGRESS)
    Change.objects.filter(point=point, verb="status").update(at=at(6, 10))
    action = point.actions.order_by("pk").first()
    if action is None:
        action = improvements.action_create(point=point, actor=manager, owner=manager,
                                            title="Schadestatus zichtbaar maken in Mijn Omgeving")
    improvements.action_set_status(action=action, actor=manager, status=ActionStatus.DONE)
    type(action).objects.filter(pk=action.pk).update(updated_at=at(2, 15))
    Change.objects.filter(point=point, verb="action_status").update(at=at(2, 15))
    type(point).objects.filter(pk__in=arena.outcomes.values("point")).update(created_at=at(recorded, 9))
