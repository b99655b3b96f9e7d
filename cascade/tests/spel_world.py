"""A running strategic 1-2-3 session with a live room, over a wave with clear results.

Two regions with teams; 95 random responses (every driver rated by most) and ten
detractors who complain about waiting on the phone, so that the unit has an NPS, a
driver analysis and a theme that pulls the NPS down. A consultant facilitates; two
employees take part; an admin may watch; an employee who is not listed may not.
"""

from dataclasses import dataclass

from accounts.models import Role
from cascade import services, services_spel
from insights.services import responses_changed
from insights.tests._aggregates_world import build_tree, fill, make_wave
from research.services import Answers, response_record


@dataclass
class SpelWorld:
    org: object
    root: object
    units: dict
    wave: object
    session: object
    consultant: object
    eva: object
    erik: object
    admin: object
    outsider: object

    @property
    def room(self):
        self.session.refresh_from_db()
        return self.session.room


def build_spel_world(org, make_member, *, open_room: bool = True) -> SpelWorld:
    root, units = build_tree(org)
    wave = make_wave(org, "Meting 2026")
    fill(wave, {units["Noord 1"]: 40, units["Noord 2"]: 25, units["Zuid 1"]: 30}, seed=11)
    for i in range(10):
        response_record(wave=wave, unit=units["Noord 1"] if i % 2 else units["Zuid 1"],
                        answers=Answers(nps=2 + i % 3,
                                        comment="Lange wachttijd aan de telefoon, nooit bereikbaar."))
    responses_changed(wave=wave)
    consultant = make_member(org, Role.CONSULTANT, name="Carla Consultant")
    eva = make_member(org, Role.EMPLOYEE, unit=units["Noord 1"], name="Eva Jansen")
    erik = make_member(org, Role.EMPLOYEE, unit=units["Zuid 1"], name="Erik de Vries")
    admin = make_member(org, Role.ADMIN, name="Anna Admin")
    outsider = make_member(org, Role.EMPLOYEE, name="Otto Buitenstaander")
    cascade = services.cascade_create(organisation=org, wave=wave, actor=admin)
    session = cascade.sessions.get(unit=root)
    services.session_plan(session=session, scheduled_at=None, place="Utrecht", facilitator=consultant,
                          participants=[eva, erik])
    services.session_start(session=session, actor=consultant)
    if open_room:
        services_spel.session_room_open(session=session, actor=consultant)
    session.refresh_from_db()
    return SpelWorld(org=org, root=root, units=units, wave=wave, session=session,
                     consultant=consultant, eva=eva, erik=erik, admin=admin, outsider=outsider)
