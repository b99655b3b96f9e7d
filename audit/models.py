"""The audit log: who did what, and when (UTC), for the events a privacy officer asks about.

An entry holds ids and counts only, never a name, an e-mail address or an IP address:
the actor is a foreign key (its current name is looked up when the log is read, so an
erased person shows as their placeholder), the target is a type and an id, and a failed
login keeps only a keyed hash of the e-mail address that was typed.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


class AuditAction(models.TextChoices):
    """What can be recorded. Adding an action is one line here: the column stores the value
    without ``choices``, so no migration is needed (``audit_record`` refuses unknown values)."""

    LOGIN_SUCCEEDED = "login_succeeded", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGOUT = "logout", _("Logged out")
    IMPORT_CUSTOMERS = "import_customers", _("Imported customers")
    IMPORT_PEOPLE = "import_people", _("Imported people")
    IMPORT_RESPONSES = "import_responses", _("Imported survey responses")
    EXPORT_RESPONSES = "export_responses", _("Exported survey responses")
    EXPORT_INSIGHTS = "export_insights", _("Exported an insights table")
    EXPORT_PERSONAL_DATA = "export_personal_data", _("Exported a person's data")
    ERASURE = "erasure", _("Erased a person's data")
    MEMBER_ADDED = "member_added", _("Added a person")
    MEMBER_DEACTIVATED = "member_deactivated", _("Deactivated a person")
    MEMBER_REACTIVATED = "member_reactivated", _("Reactivated a person")
    ROLE_CHANGED = "role_changed", _("Changed a role")
    API_TOKEN_CREATED = "api_token_created", _("Created an API token")
    API_TOKEN_REVOKED = "api_token_revoked", _("Revoked an API token")
    TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-step verification turned on")
    CUSTOMER_LINK_USED = "customer_link_used", _("A customer came in through a personal link")
    TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-step verification turned off")
    RETENTION_STRIPPED = "retention_stripped", _("Stripped personal data after the retention period")
    RETENTION_POLICY_CHANGED = "retention_policy_changed", _("Changed the retention policy")


class AppendOnly(Exception):
    """An audit entry was about to be changed or deleted."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Audit entries are append-only.")

    def delete(self):
        raise AppendOnly("Audit entries are append-only.")

    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class AuditEntry(models.Model):
    """One event of the audit log.

    Append-only: saving an existing entry, deleting one, or ``update()``/``delete()`` on
    a queryset raises ``AppendOnly``. Only deleting the organisation removes its entries
    (through the cascade); deleting a user leaves their entries with no actor.
    ``created_at`` is set by the database (UTC), not by the application's clock.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="audit_entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    action = models.CharField(_("action"), max_length=40)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # HMAC-SHA256 (keyed with SECRET_KEY) of the normalised e-mail address of a failed login.
    subject_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("when"), db_default=Now())

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="audit_org_created"),
            models.Index(fields=["organisation", "action", "-created_at"],
                         name="audit_org_action_created"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id or ''}".strip()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit entries are append-only.")

    def get_action_display(self) -> str:
        try:
            return str(AuditAction(self.action).label)
        except ValueError:
            return self.action
