"""The audit log's part of the access sweep (tests/test_access.py)."""

from django.urls import reverse

from accounts.permissions import Capability

OBJECT_OF: dict[str, str] = {}


def objects(world) -> dict:
    return {}


PROBES = {
    Capability.VIEW_AUDIT_LOG: lambda w, m: ("get", reverse("audit:log", args=[w.org.slug]), None),
}
