"""Co-creation: improvement groups and the steering group, with customer delegates.

"De vuile was delen": customers sit in the steering group and in improvement groups
beside employees. Employees take part as members (``accounts.Membership``); customers
as delegates (``org.Contact``), through a magic link, without an account.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import MagicLink, Membership, Organisation


class GroupKind(models.TextChoices):
    IMPROVEMENT = "improvement", _("Improvement group")
    STEERING = "steering", _("Steering group")


class GroupQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class Group(models.Model):
    """An improvement group or the steering group: employees and customer delegates at one table."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="cocreation_groups")
    kind = models.CharField(_("kind"), max_length=20, choices=GroupKind.choices,
                            default=GroupKind.IMPROVEMENT)
    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    points = models.ManyToManyField("improvements.ImprovementPoint", blank=True,
                                    related_name="cocreation_groups",
                                    verbose_name=_("improvement points"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("improvement group")
        verbose_name_plural = _("improvement groups")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="cocreation_group_name_once"),
            models.UniqueConstraint(fields=["organisation"], condition=Q(kind="steering"),
                                    name="cocreation_one_steering_group"),
        ]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    """An employee in a group; one member may chair it."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE,
                                   related_name="cocreation_memberships")
    is_chair = models.BooleanField(_("chair"), default=False)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_chair", "membership__user__name"]
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [
            models.UniqueConstraint(fields=["group", "membership"], name="cocreation_member_once"),
            models.UniqueConstraint(fields=["group"], condition=Q(is_chair=True),
                                    name="cocreation_one_chair"),
        ]

    def __str__(self) -> str:
        return f"{self.membership} in {self.group}"


class GroupDelegate(models.Model):
    """A customer contact taking part in a group through a magic link (no account).

    ``link`` is the latest link sent; revoking it (or removing the delegate) ends the
    delegate's access to this group, also from a browser that already used it.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="delegates")
    contact = models.ForeignKey("org.Contact", on_delete=models.CASCADE,
                                related_name="cocreation_delegations")
    link = models.ForeignKey(MagicLink, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contact__name"]
        verbose_name = _("customer delegate")
        verbose_name_plural = _("customer delegates")
        constraints = [
            models.UniqueConstraint(fields=["group", "contact"], name="cocreation_delegate_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} in {self.group}"

    @property
    def link_state(self) -> str:
        """Return "none", "active", "revoked" or "expired" for the delegate's latest link."""
        if self.link is None:
            return "none"
        if self.link.revoked_at:
            return "revoked"
        if self.link.expires_at <= timezone.now():
            return "expired"
        return "active"


class CommentKind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    PROPOSAL = "proposal", _("Proposal")


class Comment(models.Model):
    """What a member or a delegate says in the group, optionally about one of its points.

    A proposal can be turned into an improvement point in one step (``point_created``).
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="comments")
    point = models.ForeignKey("improvements.ImprovementPoint", on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+", verbose_name=_("point"))
    kind = models.CharField(_("kind"), max_length=20, choices=CommentKind.choices,
                            default=CommentKind.COMMENT)
    text = models.TextField(_("text"))
    author_membership = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True,
                                          blank=True, related_name="+")
    author_contact = models.ForeignKey("org.Contact", on_delete=models.SET_NULL, null=True,
                                       blank=True, related_name="+")
    author_name = models.CharField(max_length=200, blank=True)
    point_created = models.ForeignKey("improvements.ImprovementPoint", on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def by_customer(self) -> bool:
        return self.author_contact_id is not None


class Note(models.Model):
    """An internal working note of the group's employees; delegates never see notes."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="notes")
    point = models.ForeignKey("improvements.ImprovementPoint", on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+", verbose_name=_("point"))
    text = models.TextField(_("note"))
    author = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return self.text[:60]


class Decision(models.Model):
    """A decision the group took, dated and recorded by a member."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="decisions")
    point = models.ForeignKey("improvements.ImprovementPoint", on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+", verbose_name=_("point"))
    text = models.TextField(_("decision"))
    decided_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_on", "-pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return self.text[:60]


class Meeting(models.Model):
    """A meeting of the group: when, the agenda, the minutes; it can run in a live room."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    room = models.OneToOneField("live.Room", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="cocreation_meeting")
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.group}: {self.starts_at:%Y-%m-%d}"

    @property
    def is_past(self) -> bool:
        return self.starts_at < timezone.now()
