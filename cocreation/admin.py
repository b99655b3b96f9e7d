from django.contrib import admin

from cocreation.models import Comment, Decision, Group, GroupDelegate, GroupMember, Meeting


class GroupMemberInline(admin.TabularInline):
    model = GroupMember
    extra = 0
    raw_id_fields = ["membership"]


class GroupDelegateInline(admin.TabularInline):
    model = GroupDelegate
    extra = 0
    raw_id_fields = ["contact", "link"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "organisation", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["points"]
    inlines = [GroupMemberInline, GroupDelegateInline]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["group", "starts_at", "place"]
    raw_id_fields = ["group", "room", "created_by"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["group", "kind", "author_name", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["group", "point", "author_membership", "author_contact", "point_created"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["group", "decided_on", "text"]
    raw_id_fields = ["group", "point", "recorded_by"]
