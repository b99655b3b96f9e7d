"""Translated strings for the live room's page script (``static/js/live-room.js``).

The script has no catalogue of its own: the page hands it these strings, translated in
the request's language, through the room's JSON config. Placeholders are Python's
``%(name)s``; the script fills them in.
"""

from django.utils.translation import gettext as _

from live.formats import ARENA


def _phases() -> dict[str, str]:
    """Return each phase's label and prompt (from the format) and a short name for the stepper."""
    short = {"welcome": _("Welcome"), "round_1": _("Round 1"), "round_2": _("Round 2"),
             "round_3": _("Round 3")}
    strings = {}
    for phase in ARENA.phases:
        strings[f"phase.{phase.key}"] = str(phase.label)
        strings[f"prompt.{phase.key}"] = str(phase.prompt)
        strings[f"short.{phase.key}"] = short.get(phase.key, str(phase.label))
    return strings


def labels() -> dict[str, str]:
    """Return every user-visible string the room script needs, in the active language."""
    return {
        **_phases(),
        # The connection
        "connecting": _("Connecting…"),
        "live": _("Live"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "offline": _("Offline: what you enter is kept and sent when the connection is back."),
        "pending": _("%(count)s waiting to be sent"),
        "ended_session": _("You are no longer in this session: you were logged out, or your "
                           "place in the arena changed. Reload the page to join again."),
        "no_access": _("You have no access to this arena."),
        "closed": _("The arena has ended. Thank you for taking part!"),
        "locked": _("The moderator has paused input for a moment."),
        "dismiss": _("Close message"),
        # Refusals
        "refused.round_1": _("In round 1 only the customers speak. Keep your question for round 2."),
        "refused.not_allowed": _("That is not possible in this round."),
        "refused.locked": _("The moderator has paused input for a moment."),
        "refused.closed": _("The arena has ended."),
        "refused.not_participant": _("You do not take part in this arena."),
        "refused.invalid": _("That did not work. Check what you entered and try again."),
        "refused.votes_used": _("You have used all your votes."),
        "refused.own_question": _("You cannot support your own question."),
        "refused.upvoted": _("You already support this question."),
        "refused.not_queued": _("This question is no longer in the queue."),
        "refused.current": _("This question is already being discussed."),
        "refused.required": _("Write something first."),
        "refused.too_long": _("The text is too long."),
        "refused.date": _("Enter a valid date."),
        "refused.same_facilitator": _("That person is already the moderator."),
        "refused.no_phase": _("There is no round in that direction."),
        "refused.timer": _("The timer is not running."),
        "refused.no_vote": _("You have no vote on this group."),
        "rate_limited": _("Too many messages at once; sending again in a moment."),
        # Roles and rings
        "role.facilitator": _("You lead the arena."),
        "role.scribe": _("You capture what is said."),
        "role.customer": _("You sit in the inner ring: tell us how you experience our service."),
        "role.employee": _("You sit in the outer ring."),
        "role.observer": _("You are watching."),
        "ring.centre": _("Moderator"),
        "ring.inner": _("Inner ring"),
        "ring.outer": _("Outer ring"),
        "ring.outside": _("Observers"),
        "present": _("Present"),
        # Statements
        "kind.experience": _("Experience"),
        "kind.wish": _("Wish"),
        "kind.expectation": _("Expectation"),
        "kind.complaint": _("Complaint"),
        "kind.answer": _("Answer"),
        "positive": _("Positive"),
        "negative": _("Negative"),
        "no_statements": _("No statements yet."),
        "answer_to": _("Answer to: %(question)s"),
        "in_group": _("Group: %(group)s"),
        "select_statement": _("Select this statement"),
        "remove_from_group": _("Remove from group"),
        "you": _("you"),
        "selected": _("%(count)s selected"),
        # Questions
        "current_question": _("Current question"),
        "no_questions": _("No questions yet."),
        "pick": _("Discuss now"),
        "answered": _("Answered"),
        "support": _("Support this question"),
        "supported": _("You support this question"),
        "your_question": _("Your question"),
        "only_you_until_round_2": _("Only you see this until round 2."),
        # Groups and votes
        "no_groups": _("No groups yet: the moderator makes them from the statements."),
        "vote": _("vote"),
        "votes": _("votes"),
        "statement_count": _("statement"),
        "statements_count": _("statements"),
        "votes_left": _("%(left)s of %(total)s votes left"),
        "cast_vote": _("Give a vote to “%(group)s”"),
        "retract_vote": _("Take back a vote from “%(group)s”"),
        "your_votes": _("your votes: %(count)s"),
        "no_owner": _("No owner yet"),
        "owner_of": _("Owner of “%(group)s”"),
        "owner_is": _("Owner: %(name)s"),
        "add_selected": _("Add the selection here"),
        "drop_here": _("Drop a statement here"),
        "no_group": _("No group"),
        "choose": _("Choose…"),
        # Round 3
        "no_evaluations": _("Nothing yet."),
        "due": _("due %(date)s"),
        # Moderator
        "handover_confirm": _("Hand the moderator role over to %(name)s? You stay in the arena as "
                              "an observer."),
        "time_up": _("Time is up"),
        "script_welcome": _("Explain the rules: in round 1 only the customers speak; in round 2 the "
                            "employees ask; in round 3 the employees evaluate and commit."),
    }
