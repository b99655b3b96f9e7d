"""The klantsafari: managers and MT members visit customers where they are.

A round puts visits on a schedule (e.g. each MT member three customers a quarter); a
visit is an assignment first (visitor, customer, why suggested) and, once done, the
visitor's report: what went well, what went wrong, concrete advice, quotes and the
touchpoints concerned.
"""

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation


class SafariRoundQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class SafariRound(models.Model):
    """A round of visits on a schedule: who visits how many customers in which period."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="safari_rounds")
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    visits_per_visitor = models.PositiveSmallIntegerField(_("visits per visitor"), default=3)
    visitors = models.ManyToManyField(Membership, blank=True, related_name="safari_rounds",
                                      verbose_name=_("visitors"))
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = SafariRoundQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "-starts_on", "pk"]
        verbose_name = _("safari round")
        verbose_name_plural = _("safari rounds")

    def __str__(self) -> str:
        return self.name


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Reported")
    CANCELLED = "cancelled", _("Cancelled")


class VisitReason(models.TextChoices):
    DETRACTOR = "detractor", _("Recent detractor")
    LARGE_ACCOUNT = "large_account", _("Large account")
    NOT_HEARD = "not_heard", _("Not heard from in a year")
    CHOSEN = "chosen", _("Chosen")


class VisitQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class Visit(models.Model):
    """One customer visit of a round: the assignment, and once done the visitor's report."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="safari_visits")
    round = models.ForeignKey(SafariRound, on_delete=models.CASCADE, related_name="visits")
    visitor = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="safari_visits",
                                verbose_name=_("visitor"))
    customer = models.ForeignKey("org.Customer", on_delete=models.CASCADE, related_name="safari_visits",
                                 verbose_name=_("customer"))
    contact = models.ForeignKey("org.Contact", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="safari_visits", verbose_name=_("contact person"))
    reason = models.CharField(_("why"), max_length=20, choices=VisitReason.choices,
                              default=VisitReason.CHOSEN)
    planned_at = models.DateTimeField(_("planned for"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=90)
    place = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=VisitStatus.choices,
                              default=VisitStatus.PLANNED)
    # The report.
    went_well = models.TextField(_("what went well"), blank=True)
    went_wrong = models.TextField(_("what went wrong"), blank=True)
    advice = models.TextField(_("concrete advice"), blank=True)
    quotes = models.TextField(_("quotes"), blank=True, help_text=_("One per line, in the customer's words."))
    touchpoints = models.ManyToManyField("journeys.Touchpoint", blank=True, related_name="safari_visits",
                                         verbose_name=_("touchpoints"))
    themes = models.ManyToManyField("improvements.Theme", blank=True, related_name="safari_visits",
                                    verbose_name=_("themes"))
    reported_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["round", "planned_at", "pk"]
        verbose_name = _("safari visit")
        verbose_name_plural = _("safari visits")
        constraints = [
            # No customer twice in a round; a cancelled visit frees the customer again.
            models.UniqueConstraint(fields=["round", "customer"], condition=~models.Q(status="cancelled"),
                                    name="safari_customer_once_per_round"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor} → {self.customer}"

    @property
    def ends_at(self):
        if self.planned_at is None:
            return None
        return self.planned_at + datetime.timedelta(minutes=self.duration_minutes)

    def quote_lines(self) -> list[str]:
        return [line.strip() for line in self.quotes.splitlines() if line.strip()]

    def advice_lines(self) -> list[str]:
        return [line.strip(" -•*\t") for line in self.advice.splitlines() if line.strip(" -•*\t")]


class VisitPhoto(models.Model):
    """The photo a visitor took on a visit, re-encoded as JPEG (which drops its metadata).

    Kept in the database rather than on disk: it is small after re-encoding, is served
    only through the organisation's pages, and goes with the database in a backup.
    """

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="photo")
    data = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")

    def __str__(self) -> str:
        return f"{self.visit}: {self.width}×{self.height}"


class AdvicePoint(models.Model):
    """One piece of a visit's advice that became an improvement point (once per advice)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="advice_points")
    # The advice line, normalised: what makes a second submit of the same advice a no-op.
    key = models.CharField(max_length=64)
    advice = models.TextField()
    point = models.ForeignKey("improvements.ImprovementPoint", on_delete=models.CASCADE,
                              related_name="safari_advice")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["visit", "pk"]
        constraints = [models.UniqueConstraint(fields=["visit", "key"], name="safari_advice_once")]

    def __str__(self) -> str:
        return f"{self.visit}: {self.point}"


class CalendarTokenQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True, membership__is_active=True)


class CalendarToken(models.Model):
    """A member's secret for the iCalendar feed of their visits; only its hash is kept."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE,
                                   related_name="safari_calendar_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.membership} ({'revoked' if self.revoked_at else 'active'})"
