"""Status changes e-mail the point's followers after commit, unless they opted out."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from improvements import services as improvements
from improvements.models import PointStatus
from org.services import contact_create, customer_create
from portal import selectors
from portal.models import ContributionKind, PortalPreference
from portal.services import contribution_add, unsubscribe_token


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://klant.example"


def change(pworld, capture, status=PointStatus.IN_PROGRESS):
    mail.outbox.clear()
    with capture(execute=True):
        improvements.point_set_status(point=pworld.point, actor=pworld.manager, status=status)
    return {m.to[0]: m for m in mail.outbox}


def test_each_follower_gets_one_dutch_email_with_old_and_new_status(pworld,
                                                                     django_capture_on_commit_callbacks):
    # Anja said it twice (in the arena and in the survey): still one e-mail.
    contribution_add(contact=pworld.anja, point=pworld.point, kind=ContributionKind.SURVEY, label="Enquête")
    sent = change(pworld, django_capture_on_commit_callbacks)
    assert sorted(sent) == ["anja@jansen.example", "bram@bakker.example"]
    assert len(mail.outbox) == 2
    message = sent["anja@jansen.example"]
    assert "Schadelijn sneller bereikbaar" in message.subject
    assert "Anja Jansen" in message.body and "Bram" not in message.body
    assert selectors.public_status_label(PointStatus.PROPOSED) in message.body
    assert selectors.public_status_label(PointStatus.IN_PROGRESS) in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Schadelijn sneller bereikbaar" in html
    for secret in ("INTERN", "GEHEIME", "Otto", "Terugbelknop"):
        assert secret not in message.body and secret not in html


def test_nothing_is_sent_before_the_change_commits(pworld, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        improvements.point_set_status(point=pworld.point, actor=pworld.manager, status=PointStatus.DONE)
    assert mail.outbox == [] and len(callbacks) == 1


def test_setting_the_same_status_again_sends_nothing(pworld, django_capture_on_commit_callbacks):
    assert change(pworld, django_capture_on_commit_callbacks, status=PointStatus.PROPOSED) == {}


def test_the_portal_link_in_the_email_opens_her_portal(pworld, django_capture_on_commit_callbacks):
    message = change(pworld, django_capture_on_commit_callbacks)["anja@jansen.example"]
    url = next(line for line in message.body.splitlines() if "/accounts/m/" in line).strip()
    assert url.startswith("https://klant.example/accounts/m/")
    client = Client()
    page = client.get(url.removeprefix("https://klant.example"), follow=True)
    assert page.status_code == 200 and page.redirect_chain[-1][0] == reverse("portal:home")
    assert "Schadelijn sneller bereikbaar" in page.content.decode()


def test_opted_out_contacts_and_contacts_without_email_are_skipped(pworld, org,
                                                                   django_capture_on_commit_callbacks):
    mute = contact_create(customer=customer_create(organisation=org, name="Stil BV", customer_number="K-9"),
                          name="Stella Stil", email="")
    contribution_add(contact=mute, point=pworld.point, kind=ContributionKind.ARENA, label="Klantarena")
    PortalPreference.objects.create(contact=pworld.bram, notify=False)
    assert list(change(pworld, django_capture_on_commit_callbacks)) == ["anja@jansen.example"]


def test_the_portal_toggle_turns_email_off_and_on(pworld, portal_client, django_capture_on_commit_callbacks):
    client = portal_client(pworld.anja)
    response = client.post(reverse("portal:preference"), {"notify": "0"})
    assert response.status_code == 302
    assert not selectors.wants_email(pworld.anja)
    assert "anja@jansen.example" not in change(pworld, django_capture_on_commit_callbacks)
    client.post(reverse("portal:preference"), {"notify": "1"})
    assert selectors.wants_email(pworld.anja)
    assert "anja@jansen.example" in change(pworld, django_capture_on_commit_callbacks,
                                           status=PointStatus.DONE)


def test_the_toggle_needs_the_csrf_token(pworld, portal_client):
    client = portal_client(pworld.anja)
    client.handler.enforce_csrf_checks = True
    assert client.post(reverse("portal:preference"), {"notify": "0"}).status_code == 403
    assert selectors.wants_email(pworld.anja)


def test_the_unsubscribe_link_asks_first_then_unsubscribes_in_one_click(pworld, client,
                                                                        django_capture_on_commit_callbacks):
    message = change(pworld, django_capture_on_commit_callbacks)["bram@bakker.example"]
    header = message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header.strip("<>")
    assert url in message.body
    path = url.removeprefix("https://klant.example")
    page = client.get(path)
    assert page.status_code == 200 and 'data-testid="unsubscribe-confirm"' in page.content.decode()
    assert selectors.wants_email(pworld.bram)  # a mail scanner opening the link changes nothing
    # The one-click POST of a mail client: no cookie, no CSRF token.
    assert Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not selectors.wants_email(pworld.bram)
    assert "bram@bakker.example" not in change(pworld, django_capture_on_commit_callbacks,
                                               status=PointStatus.DONE)


def test_a_tampered_unsubscribe_token_does_nothing(pworld, client):
    token = unsubscribe_token(pworld.bram)
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    assert client.post(reverse("portal:unsubscribe", args=[forged])).status_code == 404
    assert client.get(reverse("portal:unsubscribe", args=["nonsense"])).status_code == 404
    assert selectors.wants_email(pworld.bram)


def test_staff_see_how_many_customers_follow_a_point(pworld, login):
    page = login(pworld.manager).get(pworld.point.get_absolute_url()).content.decode()
    assert 'data-testid="portal-followers"' in page
    assert "2 customers follow this point" in page or "2 klanten volgen" in page
    assert "Anja Jansen" not in page.split('data-testid="portal-followers"')[1][:300]


def test_muted_changes_send_nothing_and_the_mute_ends_with_the_commit(pworld,
                                                                     django_capture_on_commit_callbacks):
    from portal.services import notifications_muted

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with notifications_muted():
            improvements.point_set_status(point=pworld.point, actor=pworld.manager, status=PointStatus.DONE)
    assert mail.outbox == []
    assert sorted(change(pworld, django_capture_on_commit_callbacks)) == ["anja@jansen.example",
                                                                          "bram@bakker.example"]
