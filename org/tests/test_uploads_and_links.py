"""The customer import checks the file's content; staff revoke a contact's open links."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import MagicLink, MagicLinkPurpose, Role
from accounts.services import magic_link_issue
from org.models import Contact, Customer
from tests.test_uploads import EXE, xlsx_bytes


@pytest.fixture
def admin(org, make_member):
    return make_member(org, Role.ADMIN)


@pytest.fixture
def contact(org):
    customer = Customer.objects.create(organisation=org, name="Bakkerij Jansen", customer_number="K-1")
    return Contact.objects.create(customer=customer, name="Anja Jansen", email="anja@bakkerij.example")


def import_post(client, org, name, content):
    return client.post(reverse("org:import_customers", kwargs={"org": org.slug}),
                       {"file": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize("name, content", [
    ("klanten.csv", EXE),                           # a program renamed .csv
    ("klanten.xlsx", b"name,email\r\nA,a@example.nl\r\n"),  # a CSV named .xlsx
    ("klanten.txt", xlsx_bytes()),                  # a workbook named .txt
    ("klanten", xlsx_bytes()),                      # a workbook: this import takes CSV only
])
def test_customer_import_refuses_files_by_content(client, login, org, admin, name, content):
    login(admin)
    response = import_post(client, org, name, content)
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert "result" not in response.context
    assert not Customer.objects.exists()


def test_customer_import_takes_a_csv_whatever_its_name(client, login, org, admin):
    login(admin)
    response = import_post(client, org, "export-uit-crm", b"name,email\r\nA,a@example.nl\r\n")
    assert response.context["result"].created == 1


def revoke_url(org, contact):
    return reverse("org:contact_magic_links_revoke", kwargs={"org": org.slug, "pk": contact.pk})


def test_staff_revoke_a_contacts_open_links_and_the_links_are_refused(client, login, org, admin,
                                                                      contact):
    first = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.PORTAL)
    second = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.SURVEY)
    login(admin)
    page = client.get(reverse("org:customer_detail", kwargs={"org": org.slug, "pk": contact.customer_id}))
    assert b'data-testid="magic-link-revoke-form"' in page.content
    assert page.context["contacts"][0].open_links == 2
    response = client.post(revoke_url(org, contact))
    assert response.status_code == 302
    assert MagicLink.objects.filter(contact=contact, revoked_at__isnull=False).count() == 2
    client.logout()
    for issued in (first, second):
        assert client.get(reverse("accounts:magic_link", args=[issued.token])).status_code == 410
    login(admin)
    page = client.get(reverse("org:customer_detail", kwargs={"org": org.slug, "pk": contact.customer_id}))
    assert b'data-testid="magic-link-revoke-form"' not in page.content


def test_revoking_needs_the_capability_and_the_organisation(client, login, org, make_member,
                                                            make_org, contact):
    issued = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.PORTAL)
    login(make_member(org, Role.EMPLOYEE))
    assert client.post(revoke_url(org, contact)).status_code == 403
    other = make_org()
    login(make_member(other, Role.ADMIN))
    assert client.post(reverse("org:contact_magic_links_revoke",
                               kwargs={"org": other.slug, "pk": contact.pk})).status_code == 404
    assert MagicLink.objects.usable().filter(pk=issued.link.pk).exists()
