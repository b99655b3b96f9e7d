"""Turn one cell of a survey export into a value, or say precisely why it cannot be one.

Every parser takes the raw text and returns the value (``None`` for a blank cell: a
missing answer is not an error) or raises ``CellInvalid`` with a message for the user.
Score columns repeat a handful of distinct texts a million times, so ``Cached`` keeps
each distinct text's outcome; that makes parsing nearly free on big files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from research.models import Comparison


class CellInvalid(ValueError):
    """A cell whose text cannot be the value its column is mapped to."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# "7", "7,5", "7.5", "10 - Zeer waarschijnlijk", "0 = Not at all likely", "9 (promotor)"
_NUMBER = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*(?:$|[-–—=:.)(/]\s*\D.*$|\s+\D.*$)", re.S)


def parse_number(text: str) -> float | int | None:
    """Return the number in ``text`` (decimal comma allowed, a trailing label ignored)."""
    text = text.strip()
    if not text:
        return None
    match = _NUMBER.match(text)
    if match is None:
        raise CellInvalid(_("%(value)r is not a number.") % {"value": _short(text)})
    number = float(match.group(1).replace(",", "."))
    return int(number) if number.is_integer() else number


def parse_nps(text: str) -> int | None:
    number = parse_number(text)
    if number is None:
        return None
    if not isinstance(number, int) or not 0 <= number <= 10:
        raise CellInvalid(_(
            "%(value)r is not a recommendation score: use a whole number from 0 to 10."
        ) % {"value": _short(text.strip())})
    return number


def rating_parser(scale_max: int) -> Callable[[str], float | int | None]:
    def parse(text: str) -> float | int | None:
        number = parse_number(text)
        if number is not None and not 0 <= number <= scale_max:
            raise CellInvalid(_("%(value)r is outside the scale: use a number from 0 to %(max)s.")
                              % {"value": _short(text.strip()), "max": scale_max})
        return number
    return parse


_YES = {"1", "y", "yes", "ja", "j", "true", "waar", "x", "✓", "✔", "checked", "aangevinkt", "on"}
_NO = {"0", "n", "no", "nee", "false", "onwaar", "unchecked", "off", "-"}


def parse_yes_no(text: str) -> bool | None:
    value = text.strip().lower()
    if not value:
        return None
    if value in _YES or value.startswith(("ja,", "yes,", "ja ", "yes ")):
        return True
    if value in _NO or value.startswith(("nee,", "no,", "nee ", "no ")):
        return False
    raise CellInvalid(_("%(value)r is not yes or no (ja/nee).") % {"value": _short(text.strip())})


_COMPARISONS = {
    "better": Comparison.BETTER, "beter": Comparison.BETTER, "+": Comparison.BETTER,
    "same": Comparison.SAME, "the same": Comparison.SAME, "even goed": Comparison.SAME,
    "hetzelfde": Comparison.SAME, "gelijk": Comparison.SAME, "zelfde": Comparison.SAME,
    "=": Comparison.SAME, "equal": Comparison.SAME,
    "worse": Comparison.WORSE, "slechter": Comparison.WORSE, "minder": Comparison.WORSE,
    "-": Comparison.WORSE,
}


def parse_comparison(text: str) -> str | None:
    value = " ".join(text.strip().lower().split())
    if not value or value in {"ken ik niet", "don't know", "weet niet", "n.v.t.", "nvt", "n/a"}:
        return None
    if value in _COMPARISONS:
        return str(_COMPARISONS[value])
    raise CellInvalid(_("%(value)r is not a comparison: use better, same or worse "
                        "(beter, even goed, slechter).") % {"value": _short(text.strip())})


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
    "%d/%m/%Y", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%d.%m.%Y %H:%M", "%d.%m.%Y",
)


def parse_datetime(text: str) -> datetime | None:
    """Return an aware datetime; naive times are taken in the site's time zone."""
    value = text.strip()
    if not value:
        return None
    value = re.sub(r"\s*(GMT|UTC)([+-]\d+)?$", lambda m: _offset(m.group(2)), value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for pattern in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        raise CellInvalid(_("%(value)r is not a date and time (use for example "
                            "2024-03-31 14:05 or 31-03-2024 14:05).") % {"value": _short(value)})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _offset(hours: str | None) -> str:
    if not hours:
        return "+00:00"
    sign, number = hours[0], int(hours[1:])
    return f"{sign}{number:02d}:00"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Cached:
    """Memoise a parser per distinct text, keeping at most ``limit`` texts.

    Successes and failures are both remembered; a failure re-raises its message.
    """

    __slots__ = ("parse", "memo", "limit")

    def __init__(self, parse: Callable[[str], object], limit: int = 4096):
        self.parse, self.memo, self.limit = parse, {}, limit

    def __call__(self, text: str):
        try:
            ok, value = self.memo[text]
        except KeyError:
            try:
                ok, value = True, self.parse(text)
            except CellInvalid as error:
                ok, value = False, error.message
            if len(self.memo) < self.limit:
                self.memo[text] = (ok, value)
        if ok:
            return value
        raise CellInvalid(value)
