"""Writes for units, customers and contacts.

People are memberships: create and change them with ``membership_create`` and
``membership_update`` from ``accounts.services`` (re-exported here for callers that
think of them as the organisation's staff list).
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership, Organisation
from accounts.services import IssuedLink, magic_link_issue, membership_create, membership_update
from org.models import Contact, Customer, CustomerKind, Level, Unit, UnitKind

__all__ = [
    "contact_create", "contact_delete", "contact_send_magic_link", "contact_update",
    "customer_create", "customer_delete", "customer_update", "membership_create",
    "membership_update", "unit_create", "unit_delete", "unit_update",
]


def _check_code_free(*, organisation: Organisation, code: str, unit: Unit | None = None) -> None:
    if not code:
        return
    taken = Unit.objects.for_organisation(organisation).filter(code__iexact=code)
    if unit is not None:
        taken = taken.exclude(pk=unit.pk)
    if taken.exists():
        raise ValueError(f"Another unit of {organisation} already has the code {code!r}.")


@transaction.atomic
def unit_create(*, organisation: Organisation, parent: Unit, name: str,
                kind: str = UnitKind.TEAM, level: str = Level.OPERATIONAL,
                code: str = "") -> Unit:
    """Add a unit under ``parent``, in name order among its siblings."""
    if parent.organisation_id != organisation.pk:
        raise ValueError("The parent unit belongs to another organisation.")
    code = code.strip()
    _check_code_free(organisation=organisation, code=code)
    return Unit.objects.add_child(parent, create_kwargs={
        "organisation": organisation, "name": name.strip(), "kind": kind, "level": level,
        "code": code,
    })


@transaction.atomic
def unit_update(*, unit: Unit, name: str, kind: str, level: str, code: str = "",
                parent: Unit | None = None) -> Unit:
    """Change a unit; with a new ``parent``, move it (and its subtree) there."""
    code = code.strip()
    _check_code_free(organisation=unit.organisation, code=code, unit=unit)
    unit = Unit.objects.get(pk=unit.pk)
    renamed = unit.name != name.strip()
    unit.name, unit.kind, unit.level, unit.code = name.strip(), kind, level, code
    unit.save()
    if unit.is_root():
        if parent is not None:
            raise ValueError("The organisation's root unit cannot be moved.")
        return unit
    current_parent = Unit.objects.get_parent(unit)
    if parent is not None and parent.pk != current_parent.pk:
        if parent.organisation_id != unit.organisation_id:
            raise ValueError("The new parent unit belongs to another organisation.")
        parent = Unit.objects.get(pk=parent.pk)
        if parent.path.startswith(unit.path):
            raise ValueError("A unit cannot be moved under itself or one of its own units.")
        Unit.objects.move(unit, parent, pos="sorted-child")
    elif renamed:
        # Keep siblings in name order (node_order_by) after a rename.
        Unit.objects.move(unit, current_parent, pos="sorted-child")
    return Unit.objects.get(pk=unit.pk)


@transaction.atomic
def unit_delete(*, unit: Unit) -> None:
    """Delete a unit without children; its customers, people and points lose their unit."""
    unit = Unit.objects.get(pk=unit.pk)
    if unit.is_root():
        raise ValueError("The organisation's root unit cannot be deleted.")
    if Unit.objects.filter(path__startswith=unit.path, depth__gt=unit.depth).exists():
        raise ValueError("Delete or move this unit's own units first.")
    Customer.objects.filter(unit=unit).update(unit=None)
    Membership.objects.filter(unit=unit).update(unit=None)
    unit.delete()


def _check_customer(*, organisation: Organisation, customer_number: str, email: str, unit,
                    account_owner, customer: Customer | None = None) -> None:
    if not customer_number and not email:
        raise ValueError("A customer needs a customer number or an e-mail address.")
    if unit is not None and unit.organisation_id != organisation.pk:
        raise ValueError("The unit belongs to another organisation.")
    if account_owner is not None and account_owner.organisation_id != organisation.pk:
        raise ValueError("The account owner belongs to another organisation.")
    if customer_number:
        taken = Customer.objects.for_organisation(organisation).filter(
            customer_number=customer_number
        )
        if customer is not None:
            taken = taken.exclude(pk=customer.pk)
        if taken.exists():
            raise ValueError(f"Customer number {customer_number!r} is already in use.")


@transaction.atomic
def customer_create(*, organisation: Organisation, name: str,
                    kind: str = CustomerKind.COMPANY, customer_number: str = "",
                    email: str = "", segment: str = "", unit: Unit | None = None,
                    account_owner: Membership | None = None) -> Customer:
    customer_number, email = customer_number.strip(), email.strip().lower()
    _check_customer(organisation=organisation, customer_number=customer_number, email=email,
                    unit=unit, account_owner=account_owner)
    return Customer.objects.create(
        organisation=organisation, name=name.strip(), kind=kind,
        customer_number=customer_number, email=email, segment=segment.strip(), unit=unit,
        account_owner=account_owner,
    )


@transaction.atomic
def customer_update(*, customer: Customer, name: str, kind: str, customer_number: str = "",
                    email: str = "", segment: str = "", unit: Unit | None = None,
                    account_owner: Membership | None = None) -> Customer:
    customer_number, email = customer_number.strip(), email.strip().lower()
    _check_customer(organisation=customer.organisation, customer_number=customer_number,
                    email=email, unit=unit, account_owner=account_owner, customer=customer)
    customer.name, customer.kind = name.strip(), kind
    customer.customer_number, customer.email = customer_number, email
    customer.segment, customer.unit, customer.account_owner = segment.strip(), unit, account_owner
    customer.save()
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer) -> None:
    """Delete a customer with its contacts."""
    customer.delete()


def _make_only_primary(contact: Contact) -> None:
    if contact.is_primary:
        Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).filter(
            ~Q(pk=contact.pk)
        ).update(is_primary=False)


@transaction.atomic
def contact_create(*, customer: Customer, name: str, email: str = "", phone: str = "",
                   job_title: str = "", is_primary: bool = False) -> Contact:
    """Add a contact; a customer's first contact is its primary one."""
    if not customer.contacts.exists():
        is_primary = True
    contact = Contact.objects.create(
        customer=customer, name=name.strip(), email=email.strip().lower(), phone=phone.strip(),
        job_title=job_title.strip(), is_primary=is_primary,
    )
    _make_only_primary(contact)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, name: str, email: str = "", phone: str = "",
                   job_title: str = "", is_primary: bool = False) -> Contact:
    contact.name, contact.email = name.strip(), email.strip().lower()
    contact.phone, contact.job_title = phone.strip(), job_title.strip()
    contact.is_primary = is_primary
    contact.save()
    _make_only_primary(contact)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    contact.delete()


@transaction.atomic
def contact_send_magic_link(*, contact: Contact, purpose: str, sent_by,
                            base_url: str) -> IssuedLink:
    """Issue a one-time link for ``contact`` and e-mail it once the transaction commits.

    ``base_url`` is the site's scheme and host (e.g. ``https://app.example``).
    """
    if not contact.email:
        raise ValueError("This contact has no e-mail address.")
    issued = magic_link_issue(contact=contact, purpose=purpose, created_by=sent_by)
    url = base_url.rstrip("/") + reverse("accounts:magic_link", kwargs={"token": issued.token})
    organisation = contact.customer.organisation
    context = {"contact": contact, "organisation": organisation, "url": url,
               "days": settings.MAGIC_LINK_MAX_AGE_DAYS}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("org/email/magic_link_subject.txt", context).strip()
        body = render_to_string("org/email/magic_link.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [contact.email]))
    return issued
