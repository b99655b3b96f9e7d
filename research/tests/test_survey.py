"""Our own survey: invitations and the one reminder, the personal-link survey, the
anonymous public link, and response rates per unit."""

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import MagicLink, MagicLinkPurpose
from accounts.services import magic_link_issue
from org.services import contact_create, customer_create
from research import selectors
from research.models import FollowUp, Invitation, Response, ResponseSource, ResponseStatus
from research.services import Answers, wave_create, wave_public_link_issue, wave_set_status
from research.survey import (
    InvitationsRefused,
    invitations_create,
    invitations_remind,
    invitations_send,
    survey_answers_save,
)
from research.tests.survey_world import build_survey_world

BASE = "https://survey.example"
LINK = re.compile(r"https://survey\.example/accounts/m/([\w-]+)/")


@pytest.fixture
def world(org, make_member):
    return build_survey_world(org, make_member)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def send(world, capture):
    invitations_create(wave=world.wave)
    with capture(execute=True):
        return invitations_send(wave=world.wave, base_url=BASE)


def token_for(email: str) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [email])
    return LINK.search(message.body).group(1)


def open_link(client, token):
    response = client.get(reverse("accounts:magic_link", args=[token]))
    assert response.status_code == 302 and response.url == reverse("survey:start")
    response = client.get(response.url)
    assert response.status_code == 302
    return response.url


# --- Invitations ------------------------------------------------------------------------


def test_invitations_go_to_each_customers_primary_contact_with_an_email_once(world):
    assert invitations_create(wave=world.wave) == 2
    invited = set(Invitation.objects.filter(wave=world.wave).values_list("contact_id", flat=True))
    assert invited == {world.contacts[0].pk, world.contacts[1].pk}
    assert invitations_create(wave=world.wave) == 0
    assert Invitation.objects.filter(wave=world.wave).count() == 2


def test_invitations_refuse_a_contact_of_another_organisation(world, other_org):
    stranger = contact_create(customer=customer_create(organisation=other_org, name="X",
                                                       customer_number="X-1"),
                              name="Xander", email="x@x.example")
    with pytest.raises(ValueError):
        invitations_create(wave=world.wave, contacts=[stranger])


def test_sent_invitation_carries_a_personal_link_and_the_organisation_name(
    world, django_capture_on_commit_callbacks
):
    assert send(world, django_capture_on_commit_callbacks) == 2
    assert len(mail.outbox) == 2
    message = next(m for m in mail.outbox if m.to == ["anja@jansen.example"])
    assert "Acme Verzekeringen" in message.subject
    assert "Anja Jansen" in message.body and "Acme Verzekeringen" in message.body
    token = LINK.search(message.body).group(1)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and token in html and 'lang="nl"' in html
    link = MagicLink.objects.get(token_hash=MagicLink.hash_token(token))
    assert link.purpose == MagicLinkPurpose.SURVEY and link.contact == world.contacts[0]
    # Valid until a few days after the wave's period ends, not the 14-day default.
    assert link.expires_at.date() >= world.wave.period_end
    assert Invitation.objects.filter(wave=world.wave, sent_at__isnull=True).count() == 0


def test_sending_again_sends_only_unsent_invitations(world, django_capture_on_commit_callbacks):
    send(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations_send(wave=world.wave, base_url=BASE) == 0
        assert invitations_send(wave=world.wave, base_url=BASE, only_unsent=False) == 2
    assert len(mail.outbox) == 4


def test_invitation_mail_is_sent_only_after_commit(world, django_capture_on_commit_callbacks):
    invitations_create(wave=world.wave)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitations_send(wave=world.wave, base_url=BASE)
    assert mail.outbox == [] and len(callbacks) == 1


def test_one_reminder_only_to_invitees_who_have_not_submitted(
    world, django_capture_on_commit_callbacks
):
    send(world, django_capture_on_commit_callbacks)
    done = Invitation.objects.get(wave=world.wave, contact=world.contacts[0])
    survey_answers_save(invitation=done, answers=Answers(nps=9), submit=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations_remind(wave=world.wave, base_url=BASE) == 1
    assert [m.to for m in mail.outbox] == [["piet@devries.example"]]
    assert "Acme Verzekeringen" in mail.outbox[0].subject
    assert LINK.search(mail.outbox[0].body)
    assert Invitation.objects.get(wave=world.wave, contact=world.contacts[1]).reminded_at
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations_remind(wave=world.wave, base_url=BASE) == 0
    assert len(mail.outbox) == 1


def test_reminder_is_in_the_language_the_contact_answered_in(
    world, django_capture_on_commit_callbacks
):
    send(world, django_capture_on_commit_callbacks)
    started = Invitation.objects.get(wave=world.wave, contact=world.contacts[1])
    survey_answers_save(invitation=started, answers=Answers(nps=5), submit=False, language="en")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invitations_remind(wave=world.wave, base_url=BASE)
    english = next(m for m in mail.outbox if m.to == ["piet@devries.example"])
    dutch = next(m for m in mail.outbox if m.to == ["anja@jansen.example"])
    assert english.subject.startswith("Reminder:")
    assert 'lang="en"' in english.alternatives[0][0] and "December 2099" not in english.body
    assert "Jan. 4, 2100" in english.body  # dates follow the language too
    assert 'lang="nl"' in dutch.alternatives[0][0] and "januari 2100" in dutch.body


def test_anonymous_and_unopened_waves_refuse_invitations(org, world):
    anonymous = wave_create(organisation=org, actor=world.admin, name="Anoniem", is_anonymous=True)
    with pytest.raises(InvitationsRefused):
        invitations_create(wave=anonymous)
    draft = wave_create(organisation=org, actor=world.admin, name="Concept")
    assert invitations_create(wave=draft) == 2
    with pytest.raises(InvitationsRefused):
        invitations_send(wave=draft, base_url=BASE)


def test_send_invitations_command_invites_sends_and_reminds(
    world, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_invitations", world.org.slug, world.wave.name, "--base-url", BASE)
    assert "sent 2 invitations" in capsys.readouterr().out
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_invitations", world.org.slug, str(world.wave.pk), "--remind",
                     "--base-url", BASE)
    assert "Sent 2 reminders" in capsys.readouterr().out
    call_command("send_invitations", world.org.slug, world.wave.name, "--remind")
    assert "Sent 0 reminders" in capsys.readouterr().out


def test_staff_invite_send_and_remind_from_the_invitations_page(
    world, login, django_capture_on_commit_callbacks
):
    client = login(world.admin)
    url = reverse("research:wave_invitations", args=[world.org.slug, world.wave.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="count-invited">0<' in page.content
    for name in ("invitations_create", "invitations_send", "invitations_remind"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse(f"research:{name}",
                                           args=[world.org.slug, world.wave.pk]))
        assert response.status_code == 302 and response.url == url
    assert len(mail.outbox) == 4  # two invitations, two reminders
    page = client.get(url)
    assert b'data-testid="count-invited">2<' in page.content
    assert b'data-testid="count-sent">2<' in page.content


def test_only_wave_managers_reach_the_invitations_page(world, login):
    client = login(world.manager)
    url = reverse("research:wave_invitations", args=[world.org.slug, world.wave.pk])
    assert client.get(url).status_code == 403
    send_url = reverse("research:invitations_send", args=[world.org.slug, world.wave.pk])
    assert client.post(send_url).status_code == 403
    assert mail.outbox == []


# --- The personal-link survey -------------------------------------------------------------


def test_customer_opens_saves_submits_and_corrects_until_the_wave_closes(
    world, client, django_capture_on_commit_callbacks
):
    send(world, django_capture_on_commit_callbacks)
    form_url = open_link(client, token_for("anja@jansen.example"))
    assert form_url == reverse("survey:form", args=[world.wave.pk])
    page = client.get(form_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="q-nps"' in html and 'value="10"' in html and "<fieldset" in html
    invitation = Invitation.objects.get(wave=world.wave, contact=world.contacts[0])
    assert invitation.opened_at is not None

    # Save and continue later: a partial response.
    response = client.post(form_url, {"action": "save", "q-nps": "4", "q-why": "Te traag"})
    assert response.status_code == 302 and "saved=1" in response.url
    invitation.refresh_from_db()
    saved = invitation.response
    assert saved.status == ResponseStatus.PARTIAL and saved.nps == 4 and saved.comment == "Te traag"
    assert saved.source == ResponseSource.SURVEY and saved.customer == world.customers[0]

    # htmx autosave on change.
    response = client.post(reverse("survey:save", args=[world.wave.pk]),
                           {"q-nps": "3", "q-why": "Te traag", "q-snelheid": "2"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b'data-testid="autosaved"' in response.content
    saved.refresh_from_db()
    assert saved.status == ResponseStatus.PARTIAL and saved.nps == 3 and saved.scores == {"snelheid": 2}
    assert Response.objects.filter(wave=world.wave).count() == 1

    # Submit.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(form_url, {"action": "submit", "q-nps": "3", "q-why": "Te traag",
                                          "q-snelheid": "2", "q-bereikbaarheid": "na"})
    assert response.status_code == 302 and response.url == reverse("survey:thanks",
                                                                   args=[world.wave.pk])
    saved.refresh_from_db()
    assert saved.status == ResponseStatus.SUBMITTED and saved.submitted_at is not None
    assert client.get(response.url).status_code == 200

    # Reopen and correct: it stays submitted.
    page = client.get(form_url)
    assert b'data-testid="survey-submitted-note"' in page.content
    assert b'value="3" checked' in page.content
    client.post(reverse("survey:save", args=[world.wave.pk]),
                {"q-nps": "8", "q-why": "Toch wel goed"}, HTTP_HX_REQUEST="true")
    saved.refresh_from_db()
    assert saved.status == ResponseStatus.SUBMITTED and saved.nps == 8

    # The wave closes: a clear closed page, and nothing changes.
    wave_set_status(wave=world.wave, status="closed")
    page = client.get(form_url)
    assert page.status_code == 410 and b'data-testid="survey-closed"' in page.content
    response = client.post(form_url, {"action": "submit", "q-nps": "10"})
    assert response.status_code == 410
    saved.refresh_from_db()
    assert saved.nps == 8
    assert client.get(reverse("survey:start")).status_code == 410


def test_submitting_without_the_required_score_shows_an_error_and_keeps_nothing_submitted(
    world, client, django_capture_on_commit_callbacks
):
    send(world, django_capture_on_commit_callbacks)
    form_url = open_link(client, token_for("anja@jansen.example"))
    response = client.post(form_url, {"action": "submit", "q-why": "Geen idee"})
    assert response.status_code == 400 and b'data-testid="survey-errors"' in response.content
    assert b"Geen idee" in response.content  # what was typed is kept on the page
    assert not Response.objects.filter(wave=world.wave, status=ResponseStatus.SUBMITTED).exists()
    response = client.post(form_url, {"action": "submit", "q-nps": "11"})
    assert response.status_code == 400
    assert not Response.objects.filter(wave=world.wave).exists()


def test_survey_follows_the_customers_language_choice(
    world, client, django_capture_on_commit_callbacks
):
    send(world, django_capture_on_commit_callbacks)
    form_url = open_link(client, token_for("anja@jansen.example"))
    assert b'<html lang="nl">' in client.get(form_url).content
    client.post(reverse("set_language"), {"language": "en", "next": form_url})
    page = client.get(form_url)
    assert b'<html lang="en">' in page.content
    assert b"How likely are you to recommend Acme Verzekeringen" in page.content
    client.post(form_url, {"action": "save", "q-nps": "7"})
    assert Response.objects.get(wave=world.wave).language == "en"


def test_a_contact_reaches_only_their_own_response(
    world, client, django_capture_on_commit_callbacks
):
    send(world, django_capture_on_commit_callbacks)
    other = Invitation.objects.get(wave=world.wave, contact=world.contacts[1])
    survey_answers_save(invitation=other, answers=Answers(nps=2, comment="Geheim van Piet"),
                        submit=True)
    form_url = open_link(client, token_for("anja@jansen.example"))
    page = client.get(form_url)
    assert b"Geheim van Piet" not in page.content
    client.post(form_url, {"action": "submit", "q-nps": "10"})
    other.refresh_from_db()
    assert other.response.nps == 2 and other.response.comment == "Geheim van Piet"
    assert Response.objects.filter(wave=world.wave).count() == 2


def test_a_contact_without_an_invitation_to_the_wave_gets_not_found(world, client, org,
                                                                    make_member):
    not_invited = world.customers[0].contacts.get(is_primary=False)
    invitations_create(wave=world.wave)
    issued = magic_link_issue(contact=not_invited, purpose=MagicLinkPurpose.SURVEY)
    client.get(reverse("accounts:magic_link", args=[issued.token]))
    assert client.get(reverse("survey:form", args=[world.wave.pk])).status_code == 404
    assert client.post(reverse("survey:save", args=[world.wave.pk]),
                       {"q-nps": "1"}).status_code == 404
    assert client.get(reverse("survey:start")).status_code == 410
    assert not Response.objects.exists()


def test_a_portal_session_or_no_session_cannot_open_the_survey(world, client):
    invitations_create(wave=world.wave)
    form_url = reverse("survey:form", args=[world.wave.pk])
    assert client.get(form_url).status_code == 403
    issued = magic_link_issue(contact=world.contacts[0], purpose=MagicLinkPurpose.PORTAL)
    client.get(reverse("accounts:magic_link", args=[issued.token]))
    assert client.get(form_url).status_code == 403
    assert client.post(form_url, {"action": "submit", "q-nps": "1"}).status_code == 403


def test_survey_posts_need_a_csrf_token(world, django_capture_on_commit_callbacks):
    send(world, django_capture_on_commit_callbacks)
    client = Client(enforce_csrf_checks=True)
    form_url = open_link(client, token_for("anja@jansen.example"))
    assert client.post(form_url, {"action": "submit", "q-nps": "9"}).status_code == 403
    assert not Response.objects.exists()


def test_survey_session_lasts_as_long_as_the_link(world, client,
                                                  django_capture_on_commit_callbacks):
    send(world, django_capture_on_commit_callbacks)
    open_link(client, token_for("anja@jansen.example"))
    assert client.session.get_expiry_date() > timezone.now() + timedelta(days=30)


# --- The anonymous public link ------------------------------------------------------------


@pytest.fixture
def anonymous_wave(org, world):
    wave = wave_create(organisation=org, actor=world.admin, name="Anoniem", is_anonymous=True)
    wave_set_status(wave=wave, status="open")
    return wave


def test_public_link_takes_answers_without_customer_session_or_ip_address(
    anonymous_wave, client
):
    token = wave_public_link_issue(wave=anonymous_wave)
    url = reverse("survey:public", args=[token])
    page = client.get(url, REMOTE_ADDR="203.0.113.77")
    assert page.status_code == 200 and b'name="q-nps"' in page.content
    response = client.post(url, {"q-nps": "2", "q-why": "Slecht bereikbaar", "q-contact-me": "1"},
                           REMOTE_ADDR="203.0.113.77")
    assert response.status_code == 200 and b'data-testid="survey-thanks"' in response.content
    stored = Response.objects.get(wave=anonymous_wave)
    assert stored.source == ResponseSource.PUBLIC and stored.status == ResponseStatus.SUBMITTED
    assert (stored.customer, stored.contact, stored.unit) == (None, None, None)
    assert "203.0.113.77" not in repr(Response.objects.filter(pk=stored.pk).values().get())
    assert not FollowUp.objects.exists()  # no customer to call back
    assert "sessionid" not in client.cookies and not Session.objects.exists()
    assert anonymous_wave.public_token_hash != token


def test_public_link_of_an_unknown_token_or_a_closed_wave_refuses(anonymous_wave, client):
    token = wave_public_link_issue(wave=anonymous_wave)
    assert client.get(reverse("survey:public", args=["not-a-token"])).status_code == 404
    wave_set_status(wave=anonymous_wave, status="closed")
    assert client.post(reverse("survey:public", args=[token]), {"q-nps": "5"}).status_code == 410
    assert not Response.objects.exists()


def test_a_new_public_link_replaces_the_old_one(anonymous_wave, client):
    old = wave_public_link_issue(wave=anonymous_wave)
    new = wave_public_link_issue(wave=anonymous_wave)
    assert client.get(reverse("survey:public", args=[old])).status_code == 404
    assert client.get(reverse("survey:public", args=[new])).status_code == 200


def test_public_link_is_rate_limited_per_visitor(anonymous_wave, client, monkeypatch):
    monkeypatch.setattr("research.survey.PUBLIC_RATE_LIMIT", 3)
    url = reverse("survey:public", args=[wave_public_link_issue(wave=anonymous_wave)])
    statuses = [client.post(url, {"q-nps": "9"}, REMOTE_ADDR="198.51.100.1").status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.post(url, {"q-nps": "9"}, REMOTE_ADDR="198.51.100.2").status_code == 200
    assert Response.objects.filter(wave=anonymous_wave).count() == 4
    # Only a keyed hash of the address is used as the cache key.
    assert all("198.51.100" not in key for key in cache._cache)  # locmem's store


def test_staff_make_the_public_link_and_see_it_only_once(anonymous_wave, world, login, client):
    client = login(world.admin)
    url = reverse("research:wave_public_link", args=[world.org.slug, anonymous_wave.pk])
    page = client.post(url)
    assert page.status_code == 200
    public_url = re.search(rb'data-testid="public-url"', page.content) and re.search(
        rb'value="(http://testserver/survey/p/[\w-]+/)"', page.content).group(1).decode()
    assert client.get(public_url).status_code == 200
    again = client.get(reverse("research:wave_invitations", args=[world.org.slug, anonymous_wave.pk]))
    assert public_url.encode() not in again.content


# --- Response rates -----------------------------------------------------------------------


def test_response_rates_roll_up_the_unit_tree(world, django_assert_num_queries):
    extra = customer_create(organisation=world.org, name="Zon BV", customer_number="K-4",
                            unit=world.zuid)
    contact_create(customer=extra, name="Zon", email="zon@zon.example")
    invitations_create(wave=world.wave)  # two in Groningen, one in Zuid
    anja = Invitation.objects.get(wave=world.wave, contact=world.contacts[0])
    survey_answers_save(invitation=anja, answers=Answers(nps=9), submit=True)
    piet = Invitation.objects.get(wave=world.wave, contact=world.contacts[1])
    survey_answers_save(invitation=piet, answers=Answers(nps=9), submit=False)
    with django_assert_num_queries(1):
        units = {u.name: u for u in selectors.response_rates_by_unit(world.wave)}
    assert (units["Team Groningen"].invited, units["Team Groningen"].responded) == (2, 1)
    assert units["Team Groningen"].rate == 50.0
    assert (units["Noord"].invited, units["Noord"].responded, units["Noord"].rate) == (2, 1, 50.0)
    assert (units["Zuid"].invited, units["Zuid"].responded, units["Zuid"].rate) == (1, 0, 0.0)
    root = units[world.root.name]
    assert (root.invited, root.responded, root.rate) == (3, 1, 33.3)


def test_response_rates_page_is_for_those_who_see_waves(world, login, client):
    invitations_create(wave=world.wave)
    url = reverse("research:response_rates", args=[world.org.slug, world.wave.pk])
    page = login(world.manager).get(url)
    assert page.status_code == 200
    assert page.content.count(b'data-testid="rate-row"') == 4
    assert login(world.employee).get(url).status_code == 403


def test_customers_are_not_asked_free_text_attributes(org, make_member):
    from research.selectors import survey_questions
    from research.services import wave_create

    wave = wave_create(organisation=org, actor=make_member(org, "admin"), name="Attribuutloos")
    keys = {q.key for q in survey_questions(wave)}
    assert {"nps", "why", "improve", "contact-me"} <= keys
    assert not keys & {"segment", "product", "kanaal"}
