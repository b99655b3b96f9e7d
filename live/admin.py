from django.contrib import admin

from live.models import Room, RoomEvent, RoomParticipant


class RoomParticipantInline(admin.TabularInline):
    model = RoomParticipant
    extra = 0
    raw_id_fields = ["membership", "contact"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "format", "phase", "status", "last_seq", "created_at"]
    list_filter = ["format", "status"]
    readonly_fields = ["phase", "status", "last_seq", "state", "facilitator"]
    inlines = [RoomParticipantInline]


@admin.register(RoomEvent)
class RoomEventAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only."""

    list_display = ["room", "seq", "type", "actor_key", "actor_role", "created_at"]
    list_filter = ["type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
