from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import MagicLink, MagicLinkPurpose
from accounts.services import magic_link_issue, magic_link_revoke
from accounts.views import CUSTOMER_SESSION_KEY
from org.models import Contact, Customer


@pytest.fixture
def contact(org):
    customer = Customer.objects.create(organisation=org, name="Bakkerij Jansen",
                                       customer_number="K-1")
    return Contact.objects.create(customer=customer, name="Anja Jansen",
                                  email="anja@bakkerij.example", is_primary=True)


def test_token_has_at_least_128_bits_and_only_its_hash_is_stored(contact):
    issued = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.PORTAL)
    assert len(issued.token) >= 22  # 32 random bytes, url-safe base64: 43 characters
    stored = MagicLink.objects.get()
    assert issued.token not in stored.token_hash
    assert stored.token_hash == MagicLink.hash_token(issued.token)
    assert all(issued.token not in str(value) for value in vars(stored).values())


def test_first_request_exchanges_the_token_for_a_session_and_drops_it_from_the_url(
    client, contact
):
    issued = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.PORTAL)
    client.get("/")  # a session from before, to prove the key is replaced
    response = client.get(reverse("accounts:magic_link", args=[issued.token]))
    assert response.status_code == 302
    assert response.url == reverse("portal:home")  # a portal link opens the portal
    assert issued.token not in response.url
    assert client.session[CUSTOMER_SESSION_KEY]["contact"] == contact.pk
    page = client.get(response.url)
    assert page.status_code == 200
    assert "Anja Jansen" in page.content.decode()


def test_a_token_works_only_once(client, contact):
    issued = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.PORTAL)
    url = reverse("accounts:magic_link", args=[issued.token])
    assert client.get(url).status_code == 302
    assert client.get(url).status_code == 410


def test_expired_and_revoked_tokens_are_refused(client, contact):
    expired = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.PORTAL,
                               max_age=timedelta(seconds=-1))
    assert client.get(reverse("accounts:magic_link", args=[expired.token])).status_code == 410
    revoked = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.PORTAL)
    magic_link_revoke(link=revoked.link)
    assert client.get(reverse("accounts:magic_link", args=[revoked.token])).status_code == 410


def test_unknown_token_is_refused_without_a_session(client, db):
    response = client.get(reverse("accounts:magic_link", args=["x" * 43]))
    assert response.status_code == 410
    assert CUSTOMER_SESSION_KEY not in client.session


def test_customer_page_without_a_link_session_is_refused(client, db):
    assert client.get(reverse("accounts:customer_home")).status_code == 403
