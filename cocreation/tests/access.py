"""The access sweep's part for co-creation (``tests/test_access.py``): objects and probes."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.permissions import Capability
from cocreation import services
from cocreation.models import CommentKind

OBJECT_OF = {
    "cocreation:detail": "cc_group",
    "cocreation:edit": "cc_group",
    "cocreation:member_add": "cc_group",
    "cocreation:delegate_add": "cc_group",
    "cocreation:comment_add": "cc_group",
    "cocreation:note_add": "cc_group",
    "cocreation:decision_add": "cc_group",
    "cocreation:action_add": "cc_group",
    "cocreation:meeting_add": "cc_group",
    "cocreation:member_chair": "cc_member",
    "cocreation:member_remove": "cc_member",
    "cocreation:delegate_invite": "cc_delegate",
    "cocreation:delegate_revoke": "cc_delegate",
    "cocreation:delegate_remove": "cc_delegate",
    "cocreation:proposal_adopt": "cc_proposal",
    "cocreation:meeting": "cc_meeting",
    "cocreation:meeting_minutes": "cc_meeting",
    "cocreation:meeting_room_open": "cc_meeting",
    "cocreation:meeting_room_close": "cc_meeting",
    "cocreation:meeting_room": "cc_meeting",
}


def objects(world) -> dict:
    group = services.group_create(organisation=world.org, actor=world.admin, name="Verbetergroep",
                                  points=[world.point])
    member = services.member_add(group=group, membership=world.employee, is_chair=True)
    delegate = services.delegate_add(group=group, contact=world.contact)
    proposal = services.comment_add(group=group, contact=world.contact, kind=CommentKind.PROPOSAL,
                                    text="Bel me terug binnen een dag")
    meeting = services.meeting_plan(group=group, actor=world.employee,
                                    starts_at=timezone.now() + timedelta(days=7), agenda="Start")
    return {"cc_group": group, "cc_member": member, "cc_delegate": delegate,
            "cc_proposal": proposal, "cc_meeting": meeting}


PROBES = {
    Capability.VIEW_COCREATION: lambda w, m: ("get", reverse("cocreation:list", args=[w.org.slug]), None),
    Capability.MANAGE_COCREATION: lambda w, m: ("get", reverse("cocreation:create", args=[w.org.slug]),
                                                None),
}
