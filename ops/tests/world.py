"""A realistic installation to back up, and a snapshot of everything in a database to compare.

Run in a child process against a given ``DATABASE_URL`` (``python -m ops.tests.world build|snapshot``)
so the source and the restored database are real, separate databases of either engine.
"""

import datetime
import itertools
import json
import sys

_seq = itertools.count(1)


def build() -> None:
    from django.conf import settings
    from django.utils import timezone

    from accounts.models import Role
    from accounts.services import membership_create, organisation_create
    from arena import services as arena_services
    from arena.tests.conftest import ArenaWorld, run_rounds
    from improvements import services as improvements
    from research.models import ResponseSource
    from research.services import Answers, response_record
    from research.tests.survey_world import build_survey_world

    def make_member(organisation, role=Role.EMPLOYEE, unit=None, email=None, name=None):
        n = next(_seq)
        return membership_create(organisation=organisation, email=email or f"{role}{n}@example.nl",
                                 name=name or f"{role.title()} {n}", role=role, unit=unit,
                                 password="correct-horse-battery-9")

    org = organisation_create(slug="backup", name="Back-up Verzekeringen")
    survey = build_survey_world(org, make_member)
    for contact, score, comment in zip(survey.contacts, (3, 8, 10), ("Nooit bereikbaar", "", "Top"),
                                       strict=True):
        response_record(wave=survey.wave, answers=Answers(nps=score, comment=comment,
                                                          attributes={"segment": "MKB"}),
                        source=ResponseSource.SURVEY, contact=contact)
    point = improvements.point_create(organisation=org, actor=survey.admin, title="Wachttijd telefoon",
                                      unit=survey.groningen)
    improvements.action_create(point=point, actor=survey.admin, title="Terugbelservice",
                               owner=survey.owner, due_date=datetime.date(2030, 1, 1))
    improvements.evidence_add(point=point, actor=survey.admin, label="Enquête", quote="Ik wacht te lang")
    moderator = make_member(org, Role.MODERATOR, name="Mo Gespreksleider")
    employee = make_member(org, Role.EMPLOYEE, unit=survey.groningen, name="Eva Buitenring")
    employee2 = make_member(org, Role.EMPLOYEE, unit=survey.groningen, name="Erik Buitenring")
    arena = arena_services.arena_plan(organisation=org, actor=survey.manager, title="Klantarena Noord",
                                      starts_at=timezone.now() + datetime.timedelta(days=14),
                                      place="Groningen", moderator=moderator, units=[survey.noord],
                                      topic="Bereikbaarheid")
    arena_services.arena_employee_add(arena=arena, membership=employee)
    arena_services.arena_employee_add(arena=arena, membership=employee2)
    world = ArenaWorld(survey=survey, org=org, arena=arena, planner=survey.manager, moderator=moderator,
                       employee=employee, employee2=employee2, board=survey.admin)
    run_rounds(world)
    # A stored file the database refers to.
    folder = settings.IMPORT_DIR / org.slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "export.csv").write_text("klant;nps\nK-1;3\n", encoding="utf-8")


def snapshot() -> dict:
    """Row counts of every model and a few deep facts, as plain JSON."""
    from django.apps import apps

    from live.models import Room
    from live.state import derive
    from org.models import Unit
    from research.models import Response

    counts = {m._meta.label: m._base_manager.count() for m in apps.get_models(include_auto_created=True)}
    rooms = {}
    for room in Room.objects.order_by("pk"):
        events = [e.as_event() for e in room.events.order_by("seq")]
        rooms[room.title] = {"state": room.state, "derived": derive(events), "last_seq": room.last_seq}
    return {
        "counts": counts,
        "units": sorted((u.path, u.name, u.depth) for u in Unit.objects.all()),
        "answers": sorted((r.nps, r.comment, json.dumps(r.attributes, sort_keys=True),
                            r.customer.name if r.customer else "")
                          for r in Response.objects.all()),
        "rooms": rooms,
    }


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1] == "build":
        build()
    else:
        print(json.dumps(snapshot(), default=str))
