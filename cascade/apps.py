from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CascadeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cascade"
    verbose_name = _("1-2-3 sessions")
