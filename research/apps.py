from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ResearchConfig(AppConfig):
    name = "research"
    verbose_name = _("Research")

    def ready(self):
        from research.db_guards import ensure_after_migrate

        # Once per migrate, not once per app: sent for this app's config only.
        post_migrate.connect(ensure_after_migrate, sender=self,
                             dispatch_uid="research_anonymous_guard")

