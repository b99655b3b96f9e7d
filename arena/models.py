"""The klantarena: a planned live dialogue with customers in the inner ring.

The arena itself runs in a ``live.Room`` (format ``arena``); this app keeps what
surrounds the room: the plan (date, place, topic, question script), the invited
customers with their answers, and what the arena yielded in the improvement spine.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import MagicLink, Membership, Organisation


class ArenaStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    LIVE = "live", _("In progress")
    FINISHED = "finished", _("Finished")


class ArenaQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class Arena(models.Model):
    """One klantarena: its plan, its live room and, once finished, its outcome."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="arenas")
    title = models.CharField(_("title"), max_length=200)
    topic = models.TextField(_("topic"), blank=True)
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    moderator = models.ForeignKey(Membership, on_delete=models.RESTRICT, related_name="moderated_arenas",
                                  verbose_name=_("moderator"))
    units = models.ManyToManyField("org.Unit", blank=True, related_name="arenas",
                                   verbose_name=_("units concerned"))
    wave = models.ForeignKey("research.Wave", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="arenas", verbose_name=_("research wave"))
    # {"round_1": ["question", ...], "round_2": [...], "round_3": [...]}
    script = models.JSONField(_("question script"), default=dict, blank=True)
    room = models.OneToOneField("live.Room", on_delete=models.CASCADE, related_name="arena")
    status = models.CharField(_("status"), max_length=10, choices=ArenaStatus.choices,
                              default=ArenaStatus.PLANNED)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    thanked_at = models.DateTimeField(_("customers thanked"), null=True, blank=True)

    objects = ArenaQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("customer arena")
        verbose_name_plural = _("customer arenas")

    def __str__(self) -> str:
        return self.title


class Rsvp(models.TextChoices):
    NOT_SENT = "not_sent", _("Not invited yet")
    PENDING = "pending", _("No answer yet")
    YES = "yes", _("Coming")
    NO = "no", _("Not coming")


class Promotership(models.TextChoices):
    PROMOTER = "promoter", _("Promoter")
    PASSIVE = "passive", _("Passive")
    DETRACTOR = "detractor", _("Detractor")
    UNKNOWN = "", _("Unknown")


class ArenaInvitation(models.Model):
    """A customer contact invited to the inner ring, and their answer."""

    arena = models.ForeignKey(Arena, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey("org.Contact", on_delete=models.CASCADE,
                                related_name="arena_invitations")
    rsvp = models.CharField(_("answer"), max_length=10, choices=Rsvp.choices, default=Rsvp.NOT_SENT)
    # What the customer answered in the latest wave when invited (for the mix).
    promotership = models.CharField(_("promotership"), max_length=10, choices=Promotership.choices,
                                    blank=True, default="")
    seat = models.PositiveSmallIntegerField(_("seat"), default=0)
    link = models.ForeignKey(MagicLink, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    thanked_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")

    class Meta:
        ordering = ["seat", "pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["arena", "contact"], name="arena_invitation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} → {self.arena}"


class ArenaOutcome(models.Model):
    """What a group or a confirmed action of the room became in the improvement spine.

    Keyed by the room's item id (the sequence number of the event that created it), so
    finishing an arena twice creates nothing twice.
    """

    class Kind(models.TextChoices):
        POINT = "point", _("Improvement point")
        ACTION = "action", _("Action")

    arena = models.ForeignKey(Arena, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    item = models.CharField(max_length=20)
    point = models.ForeignKey("improvements.ImprovementPoint", on_delete=models.CASCADE,
                              related_name="arena_outcomes")
    action = models.ForeignKey("improvements.Action", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="arena_outcomes")

    class Meta:
        verbose_name = _("arena outcome")
        verbose_name_plural = _("arena outcomes")
        constraints = [
            models.UniqueConstraint(fields=["arena", "kind", "item"], name="arena_outcome_once"),
        ]

    def __str__(self) -> str:
        return f"{self.arena_id} {self.kind} {self.item}"
