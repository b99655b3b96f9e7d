"""The closed loop: a detractor or a contact request becomes a follow-up for the account
owner (else the nearest manager), who sees it in "My actions" and records the outcome."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from org.services import contact_create, customer_create
from research import selectors
from research.models import FollowUp, FollowUpReason, FollowUpStatus, Invitation
from research.services import Answers
from research.survey import invitations_create, survey_answers_save
from research.tests.survey_world import build_survey_world


@pytest.fixture
def world(org, make_member):
    w = build_survey_world(org, make_member)
    invitations_create(wave=w.wave)
    return w


def answer(world, contact_index: int, answers: Answers, **kwargs):
    invitation = Invitation.objects.get(wave=world.wave, contact=world.contacts[contact_index])
    return survey_answers_save(invitation=invitation, answers=answers, submit=True, **kwargs)


def test_a_detractor_gets_a_follow_up_for_the_account_owner(world):
    response = answer(world, 0, Answers(nps=3, comment="Nooit bereikbaar"))
    follow_up = FollowUp.objects.get(response=response)
    assert follow_up.reason == FollowUpReason.DETRACTOR
    assert follow_up.owner == world.owner and follow_up.status == FollowUpStatus.OPEN
    assert follow_up.organisation == world.org


def test_a_contact_request_gets_a_follow_up_even_from_a_promoter(world):
    response = answer(world, 0, Answers(nps=10, contact_me=True))
    assert FollowUp.objects.get(response=response).reason == FollowUpReason.CONTACT_ME


@pytest.mark.parametrize("score", [7, 8, 9, 10])
def test_passives_and_promoters_get_no_follow_up(world, score):
    answer(world, 0, Answers(nps=score))
    assert not FollowUp.objects.exists()


def test_a_partial_detractor_answer_waits_for_the_submission(world):
    invitation = Invitation.objects.get(wave=world.wave, contact=world.contacts[0])
    survey_answers_save(invitation=invitation, answers=Answers(nps=1), submit=False)
    assert not FollowUp.objects.exists()
    survey_answers_save(invitation=invitation, answers=Answers(nps=1), submit=True)
    assert FollowUp.objects.count() == 1
    survey_answers_save(invitation=invitation, answers=Answers(nps=2), submit=True)
    assert FollowUp.objects.count() == 1  # a correction adds no second follow-up


def test_without_an_account_owner_the_nearest_manager_up_the_tree_owns_it(world):
    response = answer(world, 1, Answers(nps=0))  # Garage De Vries, Team Groningen < Noord
    assert FollowUp.objects.get(response=response).owner == world.manager


def test_the_owner_is_emailed_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = answer(world, 0, Answers(nps=2, comment="Te duur"),
                          base_url="https://app.example")
    follow_up = FollowUp.objects.get(response=response)
    [message] = mail.outbox
    assert message.to == [world.owner.user.email]
    assert "Bakkerij Jansen" in message.subject and "Te duur" in message.body
    assert "https://app.example" + reverse("research:followup_detail",
                                           args=[world.org.slug, follow_up.pk]) in message.body


@pytest.fixture
def follow_up(world):
    return FollowUp.objects.get(response=answer(world, 0, Answers(nps=4, comment="Traag")))


def test_follow_up_list_is_for_those_who_see_all_follow_ups(world, follow_up, login):
    url = reverse("research:followup_list", args=[world.org.slug])
    page = login(world.manager).get(url)
    assert page.status_code == 200 and b"Bakkerij Jansen" in page.content
    assert login(world.owner).get(url).status_code == 403


def test_follow_up_list_filters_by_owner_status_reason_and_unit(world, follow_up):
    answer(world, 1, Answers(nps=9, contact_me=True))
    every = selectors.follow_up_list(world.org)
    assert every.count() == 2
    assert list(selectors.follow_up_list(world.org, owner=world.owner)) == [follow_up]
    assert selectors.follow_up_list(world.org, reason=FollowUpReason.CONTACT_ME).count() == 1
    assert selectors.follow_up_list(world.org, unit=world.zuid).count() == 0
    assert selectors.follow_up_list(world.org, unit=world.noord).count() == 2
    assert selectors.follow_up_list(world.org, status=FollowUpStatus.DONE).count() == 0


def test_owner_and_follow_up_viewers_see_the_detail_others_do_not(world, follow_up, login,
                                                                  make_member):
    url = reverse("research:followup_detail", args=[world.org.slug, follow_up.pk])
    page = login(world.owner).get(url)
    assert page.status_code == 200
    assert b"Traag" in page.content and b"anja@jansen.example" in page.content
    assert b"050-1234567" in page.content
    assert login(world.manager).get(url).status_code == 200
    assert login(world.employee).get(url).status_code == 403


def test_another_organisation_gets_not_found(world, follow_up, other_org, make_member, login):
    stranger = make_member(other_org, Role.ADMIN)
    client = login(stranger)
    for name in ("followup_detail", "followup_update"):
        url = reverse(f"research:{name}", args=[other_org.slug, follow_up.pk])
        statuses = {client.get(url).status_code, client.post(url, {"status": "done"}).status_code}
        assert statuses <= {404, 405} and 404 in statuses
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.OPEN


def test_owner_records_status_and_outcome(world, follow_up, login):
    url = reverse("research:followup_update", args=[world.org.slug, follow_up.pk])
    response = login(world.owner).post(url, {"status": "done", "outcome": "Gebeld, opgelost"})
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.DONE and follow_up.outcome == "Gebeld, opgelost"
    assert follow_up.closed_at is not None


def test_someone_else_cannot_update_a_follow_up(world, follow_up, login):
    url = reverse("research:followup_update", args=[world.org.slug, follow_up.pk])
    assert login(world.employee).post(url, {"status": "done"}).status_code == 403
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.OPEN


def test_an_unknown_status_is_refused(world, follow_up, login):
    url = reverse("research:followup_update", args=[world.org.slug, follow_up.pk])
    response = login(world.owner).post(url, {"status": "forgotten"})
    assert response.status_code == 400
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.OPEN


def test_my_actions_lists_my_open_follow_ups_and_updates_them_in_place(world, follow_up, login):
    client = login(world.owner)
    url = reverse("improvements:my_actions", args=[world.org.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert b'data-testid="my-follow-ups"' in page.content
    assert page.content.count(b'data-testid="follow-up-row"') == 1
    assert b"Bakkerij Jansen" in page.content and b"Traag" in page.content
    row = client.post(reverse("research:followup_update", args=[world.org.slug, follow_up.pk]),
                      {"status": "in_progress", "outcome": "Voicemail ingesproken", "layout": "mine"},
                      HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and row.content.lstrip().startswith(b"<tr")
    assert b'value="in_progress" selected' in row.content
    client.post(reverse("research:followup_update", args=[world.org.slug, follow_up.pk]),
                {"status": "done", "layout": "mine"}, HTTP_HX_REQUEST="true")
    follow_up.refresh_from_db()
    assert follow_up.outcome == "Voicemail ingesproken"  # kept when only the status changes
    page = client.get(url)
    assert b'data-testid="follow-up-row"' not in page.content


def test_my_actions_shows_no_one_elses_follow_ups(world, follow_up, login):
    page = login(world.employee).get(reverse("improvements:my_actions", args=[world.org.slug]))
    assert b'data-testid="follow-up-row"' not in page.content


STAFF_URLS = [  # name, which object fills in pk
    ("research:wave_invitations", "wave"), ("research:invitations_create", "wave"),
    ("research:invitations_send", "wave"), ("research:invitations_remind", "wave"),
    ("research:wave_public_link", "wave"), ("research:response_rates", "wave"),
    ("research:followup_detail", "follow_up"), ("research:followup_update", "follow_up"),
]


@pytest.mark.parametrize("name,obj", STAFF_URLS)
def test_staff_pages_of_another_organisation_are_not_found(
    world, follow_up, other_org, make_member, login, name, obj
):
    client = login(make_member(other_org, Role.ADMIN))
    pk = world.wave.pk if obj == "wave" else follow_up.pk
    for slug in (other_org.slug, world.org.slug):
        url = reverse(name, args=[slug, pk])
        statuses = {client.get(url).status_code, client.post(url, {}).status_code}
        assert statuses <= {404, 405} and 404 in statuses, (url, statuses)
    assert mail.outbox == []
    assert Invitation.objects.filter(wave=world.wave, sent_at__isnull=False).count() == 0


@pytest.mark.parametrize("name,obj", STAFF_URLS + [("research:followup_list", None)])
def test_staff_pages_send_visitors_to_the_login(world, follow_up, client, name, obj):
    args = [world.org.slug] + ([] if obj is None else
                               [world.wave.pk if obj == "wave" else follow_up.pk])
    for response in (client.get(reverse(name, args=args)), client.post(reverse(name, args=args))):
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_follow_up_list_runs_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    for index in (0, 1):
        answer(world, index, Answers(nps=1))
    client = login(world.manager)
    url = reverse("research:followup_list", args=[world.org.slug])
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for n in range(5):
        customer = customer_create(organisation=world.org, name=f"Extra {n}",
                                   customer_number=f"E-{n}", unit=world.zuid)
        contact = contact_create(customer=customer, name=f"C {n}", email=f"c{n}@x.example")
        invitations_create(wave=world.wave, contacts=[contact])
        invitation = Invitation.objects.get(wave=world.wave, contact=contact)
        survey_answers_save(invitation=invitation, answers=Answers(nps=0), submit=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.content.count(b'data-testid="followup-row"') == 7
