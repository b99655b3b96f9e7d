"""Fixtures for live rooms: an arena with every role, sessions for sockets, both channel layers."""

import itertools
import uuid
from dataclasses import dataclass
from importlib import import_module

import pytest
from django.conf import settings as django_settings

from accounts.models import MagicLinkPurpose, Role
from live import services
from live.formats import RoomRole


def redis_test_url() -> str:
    """Return a Redis database of this run's own: the SQLite and PostgreSQL runs go side by side."""
    engine = django_settings.DATABASES["default"]["ENGINE"]
    return f"redis://127.0.0.1:6379/{4 if 'postgresql' in engine else 3}"

_keys = itertools.count(1)


def key() -> str:
    return f"k{next(_keys)}-{uuid.uuid4().hex[:8]}"


@dataclass
class Arena:
    room: object
    organisation: object
    facilitator: object
    employee: object
    employee2: object
    scribe: object
    observer: object
    outsider: object
    customer: object
    customer2: object

    def actor(self, role: str):
        return {RoomRole.FACILITATOR: self.facilitator, RoomRole.EMPLOYEE: self.employee,
                RoomRole.SCRIBE: self.scribe, RoomRole.OBSERVER: self.observer,
                RoomRole.CUSTOMER: self.customer}[role]

    def do(self, actor, action: str, **payload):
        return services.event_append(room=self.room, actor=actor, type=action, payload=payload,
                                     client_key=key())


@pytest.fixture
def make_contact(db):
    from org.services import contact_create, customer_create

    def make(organisation, name: str):
        n = next(_keys)
        customer = customer_create(organisation=organisation, name=f"Klant {name}",
                                   customer_number=f"K{n}")
        return contact_create(customer=customer, name=name, email=f"c{n}@klant.nl")

    return make


@pytest.fixture
def arena(org, make_member, make_contact):
    """Return an arena room in its first phase with one person of every room role."""
    facilitator = make_member(org, role=Role.MODERATOR, name="Mo Derator")
    people = {
        "employee": make_member(org, role=Role.EMPLOYEE, name="Eva Medewerker"),
        "employee2": make_member(org, role=Role.EMPLOYEE, name="Erik Medewerker"),
        "scribe": make_member(org, role=Role.EMPLOYEE, name="Sam Notulist"),
        "observer": make_member(org, role=Role.CONSULTANT, name="Olga Consultant"),
        "outsider": make_member(org, role=Role.EMPLOYEE, name="Otto Buitenstaander"),
    }
    room = services.room_create(organisation=org, format_key="arena", title="Klantarena Zuid",
                                facilitator=facilitator)
    for name in ("employee", "employee2"):
        services.room_participant_add(room=room, role=RoomRole.EMPLOYEE, membership=people[name])
    services.room_participant_add(room=room, role=RoomRole.SCRIBE, membership=people["scribe"])
    customer = make_contact(org, "Karin Klant")
    customer2 = make_contact(org, "Kees Klant")
    for contact in (customer, customer2):
        services.room_participant_add(room=room, role=RoomRole.CUSTOMER, contact=contact)
    return Arena(room=room, organisation=org, facilitator=facilitator, customer=customer,
                 customer2=customer2, **people)


@pytest.fixture(params=["memory", "redis"])
def channel_layer(request, settings):
    """Run a socket test once with the in-memory layer and once with Redis (database 3)."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    if request.param == "redis":
        settings.CHANNEL_LAYERS = {"default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_test_url()], "capacity": 1000, "expiry": 60}}}
        async_to_sync(get_channel_layer().flush)()
    else:
        settings.CHANNEL_LAYERS = {"default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
    settings.LIVE_RECHECK_SECONDS = 0.2
    return request.param


def _off_the_loop(fn):
    """Run ``fn`` in a thread of its own when called from a test's event loop."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor
    from functools import wraps

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return fn(*args, **kwargs)
        def in_thread():
            from django.db import connections

            try:
                return fn(*args, **kwargs)
            finally:
                connections.close_all()  # give the connection back to the pool

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(in_thread).result()

    return wrapper


def _session_store():
    return import_module(django_settings.SESSION_ENGINE).SessionStore


@pytest.fixture
def staff_session(client):
    """Return a function: membership → session key of a logged-in browser."""

    @_off_the_loop
    def make(membership):
        from django.test import Client

        browser = Client()
        browser.force_login(membership.user, backend="accounts.backends.EmailBackend")
        return browser.cookies[django_settings.SESSION_COOKIE_NAME].value

    return make


@pytest.fixture
def customer_session(db):
    """Return a function: contact → session key of a redeemed arena magic link."""
    from accounts.services import magic_link_issue, magic_link_redeem
    from accounts.views import CUSTOMER_SESSION_KEY

    @_off_the_loop
    def make(contact, purpose=MagicLinkPurpose.ARENA):
        issued = magic_link_issue(contact=contact, purpose=purpose)
        link = magic_link_redeem(token=issued.token)
        store = _session_store()()
        store[CUSTOMER_SESSION_KEY] = {"contact": contact.pk,
                                       "organisation": link.organisation_id,
                                       "purpose": purpose, "link": link.pk}
        store.save()
        return store.session_key

    return make
