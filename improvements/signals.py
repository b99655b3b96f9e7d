"""Signals the improvement spine sends, always after the transaction has committed."""

from django.dispatch import Signal

# Sent after a point's status change has committed, with ``point``, ``old`` and ``new``
# (status values) and ``actor`` (the Membership, or None). The portal e-mails followers.
point_status_changed = Signal()
