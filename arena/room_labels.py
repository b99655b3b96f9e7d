"""Translated strings for the live room's page script (filled in with the room client)."""

from django.utils.translation import gettext as _


def labels() -> dict[str, str]:
    return {"connecting": _("Connecting…")}
