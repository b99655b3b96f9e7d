"""Pinned query counts: the group pages do not grow with the number of points, comments or people."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cocreation import services
from cocreation.models import CommentKind
from improvements.services import action_create


def grow(setup, make_point, make_contact, make_member, n):
    for i in range(n):
        point = make_point(setup.org, title=f"Punt {i}", actor=setup.admin)
        setup.group.points.add(point)
        action_create(point=point, actor=setup.admin, title=f"Actie {i}", owner=setup.employee)
        member = make_member(setup.org)
        services.member_add(group=setup.group, membership=member)
        contact = make_contact(setup.org, f"Klant {i}")
        delegate = services.delegate_add(group=setup.group, contact=contact)
        services.delegate_invite(delegate=delegate, actor=setup.admin, base_url="https://x.nl/")
        proposal = services.comment_add(group=setup.group, contact=contact, kind=CommentKind.PROPOSAL,
                                        text=f"Idee {i}", point=point)
        services.proposal_adopt(comment=proposal, actor=setup.chair)
        services.decision_record(group=setup.group, actor=setup.chair, text=f"Besluit {i}",
                                 decided_on=datetime.date(2026, 1, 1 + i), point=point)
        services.note_add(group=setup.group, author=setup.chair, text=f"Notitie {i}", point=point)
        services.meeting_plan(group=setup.group, actor=setup.chair,
                              starts_at=datetime.datetime(2026, 1, 1 + i, 10, tzinfo=datetime.UTC))


def count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_group_pages_take_the_same_queries_for_one_item_or_five(setup, login, make_point, make_contact,
                                                                    make_member, delegate_client, client):
    staff = login(setup.chair)
    detail = reverse("cocreation:detail", kwargs={"org": setup.org.slug, "pk": setup.group.pk})
    listing = reverse("cocreation:list", kwargs={"org": setup.org.slug})
    grow(setup, make_point, make_contact, make_member, 1)
    staff.get(listing)  # the first request of a session writes it
    small = (count(staff, detail), count(staff, listing))
    grow(setup, make_point, make_contact, make_member, 4)
    assert (count(staff, detail), count(staff, listing)) == small
    assert small[0] <= 30 and small[1] <= 12


def test_the_delegates_page_takes_the_same_queries_for_one_item_or_five(setup, make_point, make_contact,
                                                                        make_member, delegate_client, client):
    delegate_client()
    page = reverse("cocreation_delegate:group", kwargs={"pk": setup.group.pk})
    grow(setup, make_point, make_contact, make_member, 1)
    client.get(page)
    small = count(client, page)
    grow(setup, make_point, make_contact, make_member, 4)
    assert count(client, page) == small <= 12
