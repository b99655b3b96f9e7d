"""The customer portal ("you said, we did"): which customer contributed to which point.

Every method that turns a customer's words into an improvement point records a
``Contribution`` (``portal.services.contribution_add``): a survey comment, an arena
statement, a safari visit, a delegate's comment in an improvement group. The portal
shows a customer the points of their own contributions; status changes of those
points are e-mailed to them unless they opted out (``PortalPreference``).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


class ContributionKind(models.TextChoices):
    SURVEY = "survey", _("Survey comment")
    ARENA = "arena", _("Customer arena")
    SAFARI = "safari", _("Customer safari")
    COCREATION = "cocreation", _("Improvement group")


class Contribution(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("org.Contact", on_delete=models.CASCADE, related_name="contributions")
    point = models.ForeignKey("improvements.ImprovementPoint", on_delete=models.CASCADE,
                              related_name="contributions")
    kind = models.CharField(_("source"), max_length=20, choices=ContributionKind.choices)
    # Shown to the customer: where they said it ("Klantarena Schade, 12 maart"). No internal detail.
    label = models.CharField(_("where"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        constraints = [
            models.UniqueConstraint(fields=["contact", "point", "kind", "label"],
                                    name="portal_contribution_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.point_id} ({self.kind})"


class PortalPreference(models.Model):
    """A contact's choice about e-mail from the portal (no row: notified)."""

    contact = models.OneToOneField("org.Contact", on_delete=models.CASCADE, related_name="portal_preference")
    notify = models.BooleanField(_("e-mail me when a point I raised changes"), default=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("portal preference")
        verbose_name_plural = _("portal preferences")

    def __str__(self) -> str:
        return f"{self.contact_id}: {'notify' if self.notify else 'opted out'}"
