from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation
from org.models import Unit


class Theme(models.Model):
    """A theme that improvement points (and later comments and statements) are filed under."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="theme_unique_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class PointStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class ImprovementPointQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class ImprovementPoint(models.Model):
    """Something customers told us to improve, with the evidence and the people behind it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="improvement_points")
    number = models.PositiveIntegerField(_("number"), editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    theme = models.ForeignKey(Theme, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="points", verbose_name=_("theme"))
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="improvement_points", verbose_name=_("unit"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices,
                                                default=Priority.MEDIUM)
    status = models.CharField(_("status"), max_length=20, choices=PointStatus.choices,
                              default=PointStatus.PROPOSED)
    raised_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="raised_points", verbose_name=_("raised by"))
    raised_by_label = models.CharField(
        _("raised by (group or customer)"), max_length=200, blank=True,
        help_text=_("For points raised by a group or a customer rather than a colleague."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ImprovementPointQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "number"]
        verbose_name = _("improvement point")
        verbose_name_plural = _("improvement points")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"],
                                    name="point_number_unique_per_org")
        ]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"VP-{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("improvements:point_detail",
                       kwargs={"org": self.organisation.slug, "pk": self.pk})

    @property
    def reference(self) -> str:
        return f"VP-{self.number}"


class Evidence(models.Model):
    """A link from a point to what it is based on: any object (a response, a statement, a
    visit) or, for sources not yet in Outside-In, a quote and a description."""

    point = models.ForeignKey(ImprovementPoint, on_delete=models.CASCADE, related_name="evidence")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("content_type", "object_id")
    label = models.CharField(_("source"), max_length=200)
    quote = models.TextField(_("quote"), blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return self.label


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class ActionQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(point__organisation=organisation)

    def unfinished(self):
        return self.filter(status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS])

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.unfinished().filter(due_date__lt=today)


class Action(models.Model):
    """A concrete step under an improvement point, owned by exactly one person."""

    point = models.ForeignKey(ImprovementPoint, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="actions",
                              verbose_name=_("owner"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ActionStatus.choices,
                              default=ActionStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return (self.due_date is not None and self.status in (ActionStatus.OPEN,
                ActionStatus.IN_PROGRESS) and self.due_date < timezone.localdate())


class ActionNote(models.Model):
    """A progress note on an action."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")

    def __str__(self) -> str:
        return self.text[:60]


class RouteQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class Route(models.Model):
    """An improvement route (verbeterroute): the ordered points the strategic level chose,
    with the target to reach and the long-term vision behind it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="routes")
    name = models.CharField(_("name"), max_length=200)
    vision = models.TextField(_("long-term vision"), blank=True)
    target = models.TextField(_("target"), blank=True)
    points = models.ManyToManyField(ImprovementPoint, through="RoutePoint", related_name="routes")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RouteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("improvement route")
        verbose_name_plural = _("improvement routes")

    def __str__(self) -> str:
        return self.name


class RoutePoint(models.Model):
    """A point's place in a route."""

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="route_points")
    point = models.ForeignKey(ImprovementPoint, on_delete=models.CASCADE,
                              related_name="route_points")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["route", "point"], name="point_once_per_route")
        ]

    def __str__(self) -> str:
        return f"{self.route}: {self.point}"


class Change(models.Model):
    """One recorded change to a point, its actions, evidence or routes: who, what, when."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    point = models.ForeignKey(ImprovementPoint, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="changes")
    route = models.ForeignKey(Route, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              related_name="+")
    verb = models.CharField(max_length=40)
    summary = models.CharField(max_length=300)
    fields = models.JSONField(default=list, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")

    def __str__(self) -> str:
        return self.summary
