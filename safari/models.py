"""The klantsafari: managers and MT members visit customers where they are.

A round puts visits on a schedule (e.g. each MT member three customers a quarter); a
visit is an assignment first (visitor, customer, why suggested) and, once done, the
visitor's report: what went well, what went wrong, concrete advice, quotes and the
touchpoints concerned.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation


class SafariRoundQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class SafariRound(models.Model):
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
    reported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["round", "planned_at", "pk"]
        verbose_name = _("safari visit")
        verbose_name_plural = _("safari visits")

    def __str__(self) -> str:
        return f"{self.visitor} → {self.customer}"
