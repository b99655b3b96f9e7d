"""Stored aggregates and text analyses that feed the insights pages.

Insights are read far more often than responses are written, so the sufficient
statistics of every (wave, unit) are kept here, refreshed by ``insights.services``
when responses change. Each row holds a unit's *own* responses only; subtree
figures are sums over descendants, finished in NumPy by ``insights.selectors``.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from org.models import Unit
from research.models import OrgScopedQuerySet, Response, Wave


class UnitWaveAggregate(models.Model):
    """Counts and sums of one unit's own responses in one wave.

    ``unit`` is null for responses without a unit (anonymous waves); the selectors count
    those on the organisation's top unit. The JSON layouts:

    - ``nps_counts``: 11 counts, one per score 0…10.
    - ``driver_keys``: the rating questions of the driver model, in column order; the
      columns of ``driver_sums`` and ``driver_cross_products`` are those drivers
      followed by the NPS score, over the ``n_complete`` responses that answered all.
    - ``ratings``: per rating question key (drivers and core values) ``n``, ``sum``,
      ``sumsq`` and ``counts`` (11 counts, rounded scores 0…10).
    - ``competitors``: per competitor name ``better``, ``same``, ``worse`` and the
      ``promoters``, ``passives`` and ``detractors`` among customers who compared.
    - ``promotership``: per driver key ``pn``, ``psum``, ``psq`` (ratings by promoters)
      and ``dn``, ``dsum``, ``dsq`` (by detractors).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="unit_aggregates")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    n_responses = models.PositiveIntegerField(default=0)
    nps_counts = models.JSONField(default=list)
    driver_keys = models.JSONField(default=list)
    n_complete = models.PositiveIntegerField(default=0)
    driver_sums = models.JSONField(default=list)
    driver_cross_products = models.JSONField(default=list)
    ratings = models.JSONField(default=dict)
    competitors = models.JSONField(default=dict)
    promotership = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit aggregate")
        verbose_name_plural = _("unit aggregates")
        indexes = [models.Index(fields=["wave", "unit"])]

    def __str__(self) -> str:
        return f"{self.wave_id}/{self.unit_id}: {self.n_responses}"


class ResponseAnalysis(models.Model):
    """What the open answers of one response say: language, sentiment and themes.

    ``unit`` copies the response's unit so the verbatim browser filters without a join.
    ``is_voice`` marks a quote as "voice of the customer" for sessions; re-analysing a
    response keeps it.
    """

    response = models.OneToOneField(Response, on_delete=models.CASCADE, primary_key=True,
                                    related_name="analysis")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    language = models.CharField(max_length=8, blank=True)
    sentiment = models.FloatField(default=0.0)
    themes = models.JSONField(default=list, blank=True)
    is_voice = models.BooleanField(_("voice of the customer"), default=False)
    analysed_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("response analysis")
        verbose_name_plural = _("response analyses")
        indexes = [models.Index(fields=["wave", "unit"])]

    def __str__(self) -> str:
        return f"{self.response_id}: {self.language} {self.sentiment:+.2f}"


class ThemeAggregate(models.Model):
    """How often one theme comes up in one unit's own responses of a wave.

    ``nps_counts`` holds 11 counts (scores 0…10) of the mentioning responses with a score.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="theme_aggregates")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    theme = models.CharField(max_length=80)
    count = models.PositiveIntegerField(default=0)
    sentiment_sum = models.FloatField(default=0.0)
    nps_counts = models.JSONField(default=list)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("theme aggregate")
        verbose_name_plural = _("theme aggregates")
        indexes = [models.Index(fields=["wave", "unit"])]

    def __str__(self) -> str:
        return f"{self.wave_id}/{self.unit_id}/{self.theme}: {self.count}"


class Taxonomy(models.Model):
    """An organisation's theme taxonomy for open comments (validated JSON document)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="taxonomy")
    document = models.JSONField()
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("taxonomy")
        verbose_name_plural = _("taxonomies")

    def __str__(self) -> str:
        return f"{self.organisation}: {len(self.document.get('themes', []))}"


class AggregateVersion(models.Model):
    """Which generation of a wave's stored aggregates is current.

    ``aggregates_refresh`` and ``themes_refresh`` give the wave a new random ``token``
    whenever they rewrite its rows; the selectors cache the figures they compute from
    the rows under that token (in Django's cache), so a refresh makes every cached
    figure of the wave unreachable in every process at once. Random rather than a
    counter so that a token is never reused, not even after a rolled-back transaction.
    """

    wave = models.OneToOneField(Wave, on_delete=models.CASCADE, primary_key=True,
                                related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("aggregates version")
        verbose_name_plural = _("aggregates versions")

    def __str__(self) -> str:
        return f"{self.wave_id}: {self.token}"
