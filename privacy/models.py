"""Privacy (AVG/GDPR): access, portability and erasure of a person's data, and retention."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


class RetentionPolicy(models.Model):
    """How long an organisation keeps the personal data of its survey responses.

    After ``months`` (counted from when the response was submitted, else created) the
    daily retention run strips a response: the link to the customer and contact (and the
    invitation) goes, names and e-mail addresses in its free text are replaced, free-text
    attributes naming someone are dropped, and the source's response id is cleared. Scores,
    unit, wave and the anonymised comment stay, so every figure stays the same.
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="retention_policy")
    is_active = models.BooleanField(_("strip personal data automatically"), default=True)
    months = models.PositiveSmallIntegerField(
        _("months"), default=24,
        help_text=_("Personal data of a response is stripped this many months after it was given."))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        constraints = [models.CheckConstraint(condition=Q(months__gte=1) & Q(months__lte=240),
                                              name="retention_months_1_to_240")]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.months}"


class WaveRetention(models.Model):
    """A wave kept longer than the policy says: until a date, or for good, with the reason."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    wave = models.OneToOneField("research.Wave", on_delete=models.CASCADE,
                                related_name="retention_exception")
    keep_until = models.DateField(
        _("keep until"), null=True, blank=True,
        help_text=_("Leave empty to never strip this wave automatically."))
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["wave__name"]
        verbose_name = _("retention exception")
        verbose_name_plural = _("retention exceptions")

    def __str__(self) -> str:
        return f"{self.wave}: {self.keep_until or '∞'}"


class StrippedResponse(models.Model):
    """Marks a response whose personal data the retention run stripped (so it is done once)."""

    response = models.OneToOneField("research.Response", on_delete=models.CASCADE,
                                    primary_key=True, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    wave = models.ForeignKey("research.Wave", on_delete=models.CASCADE, related_name="+")
    stripped_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("stripped response")
        verbose_name_plural = _("stripped responses")

    def __str__(self) -> str:
        return f"{self.response_id} @ {self.stripped_at:%Y-%m-%d}"


class ScheduledRun(models.Model):
    """The last day a scheduled daily task ran, shared by every server process.

    A process claims the day by locking this row (``select_for_update``) and setting
    ``last_run_on``; the others find the day taken, so the task runs once a day however
    many workers serve the app.
    """

    name = models.CharField(max_length=60, unique=True)
    last_run_on = models.DateField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    # Counts only (responses stripped per organisation), never personal data.
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_run_on}"
