"""Customer journeys: stages and touchpoints, with the evidence laid on each touchpoint.

A touchpoint belongs to a stage of a journey and carries its organisation itself, so
that every query (and the safari's and the arena's tags) can be scoped to it directly.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


class JourneyQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class Journey(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="journeys")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = JourneyQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("customer journey")
        verbose_name_plural = _("customer journeys")

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["journey", "position", "pk"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WEB = "web", _("Website")
    APP = "app", _("App")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")
    OFFICE = "office", _("Office or shop")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")


class TouchpointQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class Touchpoint(models.Model):
    """A moment where the customer meets the organisation (or its partner).

    ``themes``: keys of the organisation's survey theme taxonomy mapped to this
    touchpoint, so that survey comments on those themes are laid on it.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="touchpoints")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="touchpoints")
    name = models.CharField(_("name"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.OTHER)
    unit = models.ForeignKey("org.Unit", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="touchpoints", verbose_name=_("owning unit"))
    moment_of_truth = models.BooleanField(_("moment of truth"), default=False)
    themes = models.JSONField(_("survey themes"), default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    objects = TouchpointQuerySet.as_manager()

    class Meta:
        ordering = ["stage", "position", "pk"]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")

    def __str__(self) -> str:
        return self.name
