from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only, for site administrators: also the entries of no organisation (failed logins
    of unknown addresses, logins of users without a membership). The log is append-only."""

    list_display = ["created_at", "action", "organisation", "actor", "target_type", "target_id"]
    list_filter = ["action"]
    list_select_related = ["organisation", "actor"]
    search_fields = ["=subject_hash"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
