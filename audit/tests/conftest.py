import json

import pytest

from audit.models import AuditEntry


def serialised(entry: AuditEntry) -> str:
    """Every column of the stored row, as the database holds it, in one string."""
    row = AuditEntry.objects.filter(pk=entry.pk).values().get()
    return json.dumps(row, default=str, ensure_ascii=False).lower()


def assert_no_personal_data(entry: AuditEntry, *people) -> None:
    """No e-mail address, name or IP address of ``people`` (members, users, contacts or
    plain strings) anywhere in the stored row."""
    text = serialised(entry)
    assert "@" not in text
    assert "127.0.0.1" not in text
    for person in people:
        if isinstance(person, str):
            words = [person]
        else:
            user = getattr(person, "user", None)
            words = [getattr(person, "email", ""), getattr(person, "name", "")]
            if user is not None:
                words += [user.email, user.name]
        for word in words:
            if word:
                assert word.lower() not in text, word


def only(action: str, **filters) -> AuditEntry:
    """The one entry of ``action`` (matching ``filters``); fails when there are none or more."""
    entries = list(AuditEntry.objects.filter(action=action, **filters))
    assert len(entries) == 1, [(e.action, e.organisation_id, e.details) for e in entries]
    return entries[0]


@pytest.fixture
def admin(org, make_member):
    from accounts.models import Role

    return make_member(org, Role.ADMIN, name="Anna Beheer", email="anna.beheer@acme.example")
