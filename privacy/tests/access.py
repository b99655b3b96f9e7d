"""The privacy page's part of the access sweep (tests/test_access.py)."""

from django.urls import reverse

from accounts.permissions import Capability

OBJECT_OF: dict[str, str] = {}


def objects(world) -> dict:
    return {}


PROBES = {
    Capability.MANAGE_PERSONAL_DATA: lambda w, m: (
        "get", reverse("privacy:export_json", args=[w.org.slug]) + f"?email={w.contact.email}", None),
}
