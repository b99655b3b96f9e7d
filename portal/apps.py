from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = _("Customer portal")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from improvements.models import Evidence
        from improvements.signals import point_status_changed
        from portal import receivers

        point_status_changed.connect(receivers.point_status_changed,
                                     dispatch_uid="portal.point_status_changed")
        post_save.connect(receivers.evidence_saved, sender=Evidence,
                          dispatch_uid="portal.evidence_saved")
