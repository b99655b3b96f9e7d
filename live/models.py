from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation
from live import state as room_state
from live.formats import RoomRole


class RoomStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class RoomQuerySet(models.QuerySet):
    def for_organisation(self, organisation: Organisation):
        return self.filter(organisation=organisation)


class Room(models.Model):
    """A live session: an append-only event log with a per-room sequence number.

    ``phase``, ``status``, ``facilitator``, ``last_seq`` and ``state`` are caches of
    what the log derives (``live.state.derive``); only ``services.event_append``
    writes them, in the transaction that appends the event, under the row lock.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="rooms")
    format = models.CharField(_("format"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    phase = models.CharField(_("phase"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RoomStatus.choices,
                              default=RoomStatus.OPEN)
    last_seq = models.PositiveIntegerField(default=0)
    facilitator = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="facilitated_rooms",
                                    verbose_name=_("facilitator"))
    state = models.JSONField(default=room_state.initial, editable=False)
    # How often erasure rewrote text in this log (``services.room_text_redact``): a fold
    # checkpoint taken at another count is void, in every process.
    redactions = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RoomQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")

    def __str__(self) -> str:
        return self.title


class RoomParticipant(models.Model):
    """Who takes part in a room and in which role: a staff member or a customer contact.

    The facilitator is not listed here but on ``Room.facilitator``; admins and
    consultants of the organisation may always watch as observers.
    """

    ROLE_CHOICES = [(RoomRole.CUSTOMER, _("Customer")), (RoomRole.EMPLOYEE, _("Employee")),
                    (RoomRole.SCRIBE, _("Scribe")), (RoomRole.OBSERVER, _("Observer"))]

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="participants")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="room_participations")
    contact = models.ForeignKey("org.Contact", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="room_participations")
    role = models.CharField(_("role"), max_length=20, choices=ROLE_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.CheckConstraint(
                condition=(Q(membership__isnull=False, contact__isnull=True) & ~Q(role="customer"))
                | (Q(membership__isnull=True, contact__isnull=False) & Q(role="customer")),
                name="live_participant_is_member_or_customer_contact"),
            models.UniqueConstraint(fields=["room", "membership"], name="live_participant_member_once",
                                    condition=Q(membership__isnull=False)),
            models.UniqueConstraint(fields=["room", "contact"], name="live_participant_contact_once",
                                    condition=Q(contact__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.membership or self.contact} ({self.role})"


class AppendOnly(Exception):
    """A room event was about to be changed or deleted."""


class RoomEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Room events are append-only.")

    def delete(self):
        raise AppendOnly("Room events are append-only.")


class RoomEvent(models.Model):
    """One entry of a room's log: what happened, by whom, in which role, at which sequence.

    Append-only: saving an existing event or deleting one raises ``AppendOnly``. Only
    deleting the room (or its organisation) removes events, through the cascade, and only
    ``services.room_text_redact`` (erasure of a person) rewrites text inside a payload.
    ``actor_key`` and ``actor_role`` freeze who acted at the time, so the log replays
    the same after a member leaves or a contact is erased.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=40)
    actor_membership = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True,
                                         blank=True, related_name="+")
    actor_contact = models.ForeignKey("org.Contact", on_delete=models.SET_NULL, null=True,
                                      blank=True, related_name="+")
    actor_key = models.CharField(max_length=24, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    payload = models.JSONField(default=dict)
    client_key = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    objects = RoomEventQuerySet.as_manager()

    class Meta:
        ordering = ["room", "seq"]
        verbose_name = _("room event")
        verbose_name_plural = _("room events")
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="live_event_seq_unique"),
            models.UniqueConstraint(fields=["room", "client_key"], name="live_event_client_key_unique"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="live_event_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq} {self.type}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Room events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Room events are append-only.")

    def as_event(self) -> dict:
        """Return the event as the reducer and the clients see it."""
        return {"seq": self.seq, "type": self.type, "actor": self.actor_key or None,
                "role": self.actor_role, "payload": self.payload,
                "at": int(self.created_at.timestamp() * 1000)}


class RoomPresence(models.Model):
    """An open socket in a room; not part of the log (presence is not history).

    Shared through the database so that every ASGI worker sees everyone. A row whose
    ``seen_at`` is older than ``LIVE_PRESENCE_STALE_SECONDS`` belongs to a worker
    that died and is ignored.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="presence")
    channel_name = models.CharField(max_length=200, unique=True)
    actor_key = models.CharField(max_length=24)
    role = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    connected_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("presence")
        verbose_name_plural = _("presence")
        indexes = [models.Index(fields=["room", "seen_at"])]

    def __str__(self) -> str:
        return f"{self.name} in {self.room_id}"
