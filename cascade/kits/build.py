"""Every session kit of a cascade, named by unit path."""

from __future__ import annotations

from collections.abc import Callable

from cascade.kits.data import cascade_sessions, session_kit_data, unit_file_stem
from cascade.kits.deck import session_pptx
from cascade.kits.handout import session_pdf
from cascade.models import Cascade, CascadeSession
from org.models import Unit


def kit_paths(sessions: list[CascadeSession]) -> dict[int, str]:
    """Return each session's file stem by unit path, unique within the cascade."""
    units = {u.path: u.name for u in Unit.objects.filter(
        organisation_id=sessions[0].cascade.organisation_id).only("path", "name")} if sessions else {}
    step = Unit.steplen
    stems: dict[int, str] = {}
    for session in sessions:
        path = session.unit.path
        names = [units.get(path[:i], "") for i in range(step, len(path) + 1, step)]
        stems[session.pk] = unit_file_stem(names)
    seen: dict[str, int] = {}
    for session in sessions:
        seen[stems[session.pk]] = seen.get(stems[session.pk], 0) + 1
    for session in sessions:
        if seen[stems[session.pk]] > 1:  # two units of one parent with the same name
            stems[session.pk] += f"-{session.unit_id}"
    return stems


def cascade_kits_write(cascade: Cascade, write: Callable[[str, bytes], None], *,
                       progress: Callable[[int, int], None] | None = None) -> int:
    """Render every session's deck and handout and hand each file to ``write(name, bytes)``;
    ``progress(done, total)`` follows each session. Return the number of sessions."""
    sessions = cascade_sessions(cascade)
    stems = kit_paths(sessions)
    total = len(sessions)
    if progress is not None:
        progress(0, total)
    for done, session in enumerate(sessions, start=1):
        data = session_kit_data(session)
        write(f"{stems[session.pk]}.pptx", session_pptx(data))
        write(f"{stems[session.pk]}.pdf", session_pdf(data))
        if progress is not None:
            progress(done, total)
    return total
