"""The 1-2-3-spel: after a wave, sessions at the strategic, tactical and operational level.

A wave's ``Cascade`` holds one ``CascadeSession`` per unit, linked to the session one
level up (``parent``). The method's order is a rule of the services: a session starts
only when its parent is done (the strategic one: with the improvement route set),
unless an administrator overrides it with a recorded reason.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation
from org.models import Level


class CascadeQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class Cascade(models.Model):
    """The sessions that anchor one research wave at every level."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="cascades")
    wave = models.ForeignKey("research.Wave", on_delete=models.CASCADE, related_name="cascades",
                             verbose_name=_("research wave"))
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CascadeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("1-2-3 cascade")
        verbose_name_plural = _("1-2-3 cascades")
        constraints = [
            models.UniqueConstraint(fields=["wave"], name="cascade_one_per_wave"),
        ]

    def __str__(self) -> str:
        return str(self.wave)


class SessionState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("In progress")
    DONE = "done", _("Done")


class CascadeSession(models.Model):
    """One session of the cascade: a unit, its level, a date, a facilitator, participants."""

    cascade = models.ForeignKey(Cascade, on_delete=models.CASCADE, related_name="sessions")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="cascade_sessions",
                             verbose_name=_("unit"))
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="children", verbose_name=_("session one level up"))
    scheduled_at = models.DateTimeField(_("date and time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    facilitator = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="facilitated_cascade_sessions",
                                    verbose_name=_("facilitator"))
    participants = models.ManyToManyField(Membership, blank=True, related_name="cascade_sessions",
                                          verbose_name=_("participants"))
    state = models.CharField(_("state"), max_length=10, choices=SessionState.choices,
                             default=SessionState.PLANNED)
    room = models.OneToOneField("live.Room", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="cascade_session")
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Starting before the session one level up is done, recorded when an admin allows it.
    override_reason = models.TextField(_("reason to start out of order"), blank=True)
    override_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    override_at = models.DateTimeField(null=True, blank=True)
    # Outcomes. Strategic: the improvement route and the long-term vision (on the route).
    route = models.ForeignKey("improvements.Route", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="cascade_sessions", verbose_name=_("improvement route"))
    notes = models.TextField(_("outcome"), blank=True)  # a tactical session's goes to the MT
    coaching_notes = models.TextField(_("coaching notes"), blank=True)  # not in the MT review

    class Meta:
        ordering = ["cascade", "unit__path"]
        verbose_name = _("1-2-3 session")
        verbose_name_plural = _("1-2-3 sessions")
        constraints = [
            models.UniqueConstraint(fields=["cascade", "unit"], name="cascade_session_once_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.unit}"


class ConversationStatus(models.TextChoices):
    TO_DO = "to_do", _("To do")
    HELD = "held", _("Held")
    NOT_REACHED = "not_reached", _("Not reached")


class Conversation(models.Model):
    """An operational session's outcome: an employee talks with one of the team's customers.

    Detractors first, then passives; the log of what came of it closes the loop with the
    customer. The group is frozen from the wave so the list keeps its order.
    """

    session = models.ForeignKey(CascadeSession, on_delete=models.CASCADE, related_name="conversations")
    customer = models.ForeignKey("org.Customer", on_delete=models.CASCADE, related_name="conversations",
                                 verbose_name=_("customer"))
    employee = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="conversations", verbose_name=_("employee"))
    group = models.CharField(_("group"), max_length=10)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ConversationStatus.choices,
                              default=ConversationStatus.TO_DO)
    outcome = models.TextField(_("what came of it"), blank=True)
    follow_up = models.CharField(_("follow-up action"), max_length=300, blank=True)
    follow_up_due = models.DateField(_("follow-up by"), null=True, blank=True)
    held_at = models.DateTimeField(_("held"), null=True, blank=True)

    class Meta:
        ordering = ["session", "score", "customer__name"]
        verbose_name = _("customer conversation")
        verbose_name_plural = _("customer conversations")
        constraints = [
            models.UniqueConstraint(fields=["session", "customer"], name="conversation_once_per_session"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} ({self.group})"


class UnitTarget(models.Model):
    """The strategic session's target for a unit: its NPS in the next wave."""

    cascade = models.ForeignKey(Cascade, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="cascade_targets",
                             verbose_name=_("unit"))
    nps = models.SmallIntegerField(_("target NPS for the next wave"))

    class Meta:
        ordering = ["cascade", "unit__path"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["cascade", "unit"], name="cascade_target_once_per_unit"),
            models.CheckConstraint(condition=models.Q(nps__gte=-100, nps__lte=100),
                                   name="cascade_target_nps_range"),
        ]

    def __str__(self) -> str:
        return f"{self.unit}: {self.nps}"


class ReviewMeeting(models.Model):
    """A board/MT meeting with the route's progress as a fixed agenda item."""

    cascade = models.ForeignKey(Cascade, on_delete=models.CASCADE, related_name="reviews")
    date = models.DateField(_("date"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["cascade", "date"]
        verbose_name = _("progress review")
        verbose_name_plural = _("progress reviews")

    def __str__(self) -> str:
        return str(self.date)


class SessionOutcome(models.Model):
    """What a proposal or an agreed action of a session's live room became in the
    improvement spine, keyed by the room's item id so that finishing twice creates
    nothing twice. A proposal that put a point of the improvement route on the table
    maps to that point itself."""

    class Kind(models.TextChoices):
        POINT = "point", _("Improvement point")
        ACTION = "action", _("Action")

    session = models.ForeignKey(CascadeSession, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    item = models.CharField(max_length=20)
    point = models.ForeignKey("improvements.ImprovementPoint", on_delete=models.CASCADE,
                              related_name="cascade_outcomes")
    action = models.ForeignKey("improvements.Action", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="cascade_outcomes")

    class Meta:
        verbose_name = _("session outcome")
        verbose_name_plural = _("session outcomes")
        constraints = [
            models.UniqueConstraint(fields=["session", "kind", "item"], name="cascade_outcome_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session}: {self.kind} {self.item}"
