"""Live formats as data: phases, prompts, timers and who may do what in each phase.

The engine (``live.state``) knows a fixed vocabulary of action types and what each
does to the room's state; a format only says *which* of them each room role may
use in each phase. A new format (the 1-2-3 session, an improvement-group meeting)
is a new ``Format`` value, not new engine code (the 1-2-3 session is the second one).

Facilitator controls (``CONTROLS``) are granted to the facilitator in every phase of
every format; everything else must be listed per phase and role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


class RoomRole:
    FACILITATOR = "facilitator"  # the moderator (gespreksleider)
    CUSTOMER = "customer"        # inner ring
    EMPLOYEE = "employee"        # outer ring
    SCRIBE = "scribe"            # captures what is said, beside the moderator
    OBSERVER = "observer"        # watches, does nothing

    ALL = (FACILITATOR, CUSTOMER, EMPLOYEE, SCRIBE, OBSERVER)


# Where each role sits: presence is shown per ring.
RING = {
    RoomRole.FACILITATOR: "centre",
    RoomRole.SCRIBE: "centre",
    RoomRole.CUSTOMER: "inner",
    RoomRole.EMPLOYEE: "outer",
    RoomRole.OBSERVER: "outside",
}

CONTROLS = frozenset({
    "phase_next", "phase_back", "timer_start", "timer_stop", "input_lock", "input_unlock",
    "facilitator_handover", "room_close",
})


@dataclass(frozen=True)
class Phase:
    """One step of a format: its prompt, its default timer and the actions per role."""

    key: str
    label: str
    prompt: str = ""
    timer_seconds: int | None = None
    # Entering this phase reveals the questions prepared (hidden) before it.
    reveals_prepared: bool = False
    may: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Format:
    """A live format: an ordered list of phases and the facilitator's controls."""

    key: str
    label: str
    phases: tuple[Phase, ...]
    vote_budget: int = 3
    controls: frozenset[str] = CONTROLS
    # Events only the server appends (``live.state.check_server``), never a client.
    server_events: frozenset[str] = frozenset()

    def phase(self, key: str) -> Phase:
        for phase in self.phases:
            if phase.key == key:
                return phase
        raise KeyError(key)

    def allowed(self, phase_key: str, role: str) -> frozenset[str]:
        """Return the action types ``role`` may use in phase ``phase_key``."""
        try:
            allowed = self.phase(phase_key).may.get(role, frozenset())
        except KeyError:
            allowed = frozenset()
        if role == RoomRole.FACILITATOR:
            allowed = allowed | self.controls
        return frozenset(allowed)

    def plan(self) -> dict:
        """Return the part of the format the reducer needs, frozen into the room's first event.

        Replaying an old room therefore gives the same state even after the format
        definition changes.
        """
        return {
            "format": self.key,
            "vote_budget": self.vote_budget,
            "phases": [{"key": p.key, "timer": p.timer_seconds, "reveals": p.reveals_prepared}
                       for p in self.phases],
        }


def _may(**roles: set[str]) -> dict[str, frozenset[str]]:
    return {role: frozenset(actions) for role, actions in roles.items()}


ARENA = Format(
    key="arena",
    label=_("Customer arena"),
    vote_budget=3,
    phases=(
        Phase(
            key="welcome",
            label=_("Welcome"),
            prompt=_("Introduction: the rules of the three rounds."),
            timer_seconds=600,
            may=_may(
                facilitator={"note_add"},
                scribe={"note_add"},
                employee={"note_add", "question_prepare"},
            ),
        ),
        Phase(
            key="round_1",
            label=_("Round 1: customers speak"),
            prompt=_("How do you experience our services? What is our image? How service-minded "
                     "are our staff? What are your experiences with our competitors?"),
            timer_seconds=45 * 60,
            may=_may(
                customer={"statement_add"},
                facilitator={"statement_add", "note_add"},
                scribe={"statement_add", "note_add"},
                # Employees stay silent: only private notes and questions kept for round 2.
                employee={"note_add", "question_prepare"},
            ),
        ),
        Phase(
            key="round_2",
            label=_("Round 2: employees ask"),
            prompt=_("Mutual expectations; causes of good and bad service; improvement points "
                     "and owners."),
            timer_seconds=45 * 60,
            reveals_prepared=True,
            may=_may(
                customer={"statement_add", "vote_cast", "vote_retract"},
                employee={"question_ask", "question_upvote", "note_add", "vote_cast",
                          "vote_retract"},
                facilitator={"question_pick", "statement_add", "group_create", "statement_group",
                             "owner_assign", "note_add"},
                scribe={"statement_add", "group_create", "statement_group", "note_add"},
            ),
        ),
        Phase(
            key="round_3",
            label=_("Round 3: employees evaluate and commit"),
            prompt=_("What went well today, and what will you contribute yourself?"),
            timer_seconds=20 * 60,
            may=_may(
                employee={"evaluation_add", "commitment_add", "note_add"},
                facilitator={"action_confirm", "owner_assign", "note_add"},
                scribe={"note_add"},
            ),
        ),
    ),
)

# The 1-2-3 session (1-2-3-spel): the unit's people first guess their customers' answers,
# then see them (inside-out against outside-in), hear the customers' own words, choose
# what to work on and commit. The participants take part in the room as employees; the
# real answers come from the server (``answers_reveal``), computed from the research.
CASCADE = Format(
    key="cascade",
    label=_("1-2-3 session"),
    vote_budget=3,
    server_events=frozenset({"guess_setup", "answers_reveal"}),
    phases=(
        Phase(
            key="guess",
            label=_("Guess: what do our customers say?"),
            prompt=_("Estimate the NPS, the share of promoters, the driver that matters most and "
                     "the biggest complaint. Only you see your guess until the reveal."),
            timer_seconds=5 * 60,
            may=_may(employee={"guess_submit"}),
        ),
        Phase(
            key="reveal",
            label=_("The customer's answer"),
            prompt=_("Our guesses next to what the customers said."),
        ),
        Phase(
            key="voice",
            label=_("The voice of the customer"),
            prompt=_("What customers wrote, in their own words."),
            may=_may(facilitator={"quote_show"}),
        ),
        Phase(
            key="choose",
            label=_("Choose what to work on"),
            prompt=_("Propose what to improve, then give your dots to what matters most."),
            timer_seconds=15 * 60,
            may=_may(
                employee={"group_create", "vote_cast", "vote_retract"},
                facilitator={"group_create"},
            ),
        ),
        Phase(
            key="commit",
            label=_("Agree and commit"),
            prompt=_("Which actions do we agree, and what will you do yourself?"),
            timer_seconds=10 * 60,
            may=_may(
                employee={"commitment_add"},
                facilitator={"action_confirm"},
            ),
        ),
    ),
)

# An improvement-group meeting (co-creation, "de vuile was delen"): the group's employees
# and customer delegates sit at one table as equals. The chair runs it as facilitator.
# Customers speak, propose and vote like employees, and commit too: working in the group,
# customers find what they can improve in their own processes.
MEETING = Format(
    key="meeting",
    label=_("Improvement group meeting"),
    vote_budget=3,
    phases=(
        Phase(
            key="check_in",
            label=_("Check-in"),
            prompt=_("Who is at the table, and what is on the agenda today?"),
            timer_seconds=5 * 60,
            may=_may(facilitator={"note_add"}),
        ),
        Phase(
            key="discuss",
            label=_("Discuss"),
            prompt=_("What do you see happening? Customers and employees both say what they "
                     "experience."),
            timer_seconds=30 * 60,
            may=_may(
                customer={"statement_add"},
                employee={"statement_add", "note_add"},
                facilitator={"statement_add", "note_add"},
            ),
        ),
        Phase(
            key="choose",
            label=_("Choose"),
            prompt=_("Propose what to improve, then give your dots to what matters most."),
            timer_seconds=15 * 60,
            may=_may(
                customer={"group_create", "vote_cast", "vote_retract"},
                employee={"group_create", "vote_cast", "vote_retract"},
                facilitator={"group_create", "statement_group"},
            ),
        ),
        Phase(
            key="agree",
            label=_("Agree"),
            prompt=_("Which actions do we agree, who owns them, and what will you do yourself?"),
            timer_seconds=10 * 60,
            may=_may(
                customer={"commitment_add"},
                employee={"commitment_add"},
                facilitator={"action_confirm"},
            ),
        ),
    ),
)

FORMATS: dict[str, Format] = {ARENA.key: ARENA, CASCADE.key: CASCADE, MEETING.key: MEETING}


def format_get(key: str) -> Format:
    """Return the registered format ``key``; raise ``KeyError`` for an unknown one."""
    return FORMATS[key]
