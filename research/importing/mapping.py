"""Which source column feeds which field of a response, and a first guess at it.

A mapping names columns by ``SourceColumn.name``. Single fields (``nps``, ``comment``,
...) take one column or None; ``drivers`` maps a rating question's key (driver or core
value) to a column, ``competitors`` a competitor's name, ``attributes`` an attribute's
name (segment, product, channel, ...).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _

from research.importing.cells import CellInvalid, parse_nps, parse_number
from research.importing.errors import MappingInvalid
from research.importing.reading import SourceTable
from research.models import QuestionKind
from research.services import QuestionnaireSpec

SINGLE_FIELDS = ("response_id", "nps", "comment", "improvement", "customer", "unit",
                 "contact_me", "submitted_at", "language")
MAPPING_FIELDS = (*SINGLE_FIELDS, "drivers", "competitors", "attributes")


@dataclass
class Mapping:
    """Source column per response field; see the module docstring."""

    response_id: str | None = None
    nps: str | None = None
    comment: str | None = None
    improvement: str | None = None
    customer: str | None = None
    unit: str | None = None
    contact_me: str | None = None
    submitted_at: str | None = None
    language: str | None = None
    drivers: dict[str, str] = field(default_factory=dict)
    competitors: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Mapping:
        """Build a mapping from its JSON form; raise MappingInvalid for a malformed one."""
        if not isinstance(data, dict):
            raise MappingInvalid([_("A mapping must be a JSON object.")])
        errors, values = [], {}
        for name in SINGLE_FIELDS:
            value = data.get(name)
            if value in (None, ""):
                values[name] = None
            elif isinstance(value, str):
                values[name] = value
            else:
                errors.append(_("%(field)s must name a column.") % {"field": name})
        for name in ("drivers", "competitors", "attributes"):
            value = data.get(name) or {}
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                errors.append(_("%(field)s must map names to columns.") % {"field": name})
                value = {}
            values[name] = {k: v for k, v in value.items() if v}
        unknown = set(data) - set(MAPPING_FIELDS)
        if unknown:
            errors.append(_("Unknown mapping field(s): %(fields)s.")
                          % {"fields": ", ".join(sorted(unknown))})
        if errors:
            raise MappingInvalid(errors)
        return cls(**values)

    def used_columns(self) -> list[tuple[str, str]]:
        """Return (what, column) for every mapped column, in a stable order."""
        used = [(name, getattr(self, name)) for name in SINGLE_FIELDS if getattr(self, name)]
        used += [(f"drivers.{k}", v) for k, v in self.drivers.items()]
        used += [(f"competitors.{k}", v) for k, v in self.competitors.items()]
        used += [(f"attributes.{k}", v) for k, v in self.attributes.items()]
        return used

    def is_empty(self) -> bool:
        return not self.used_columns()

    def validate(self, table: SourceTable, spec: QuestionnaireSpec) -> list[str]:
        """Return every reason this mapping cannot import ``table`` into the questionnaire."""
        errors = []
        names = set(table.column_names)
        seen: dict[str, str] = {}
        for what, column in self.used_columns():
            if column not in names:
                errors.append(_("Column %(column)r (for %(field)s) is not in the file.")
                              % {"column": column, "field": what})
            elif column in seen:
                errors.append(_("Column %(column)r is mapped twice: to %(first)s and to "
                                "%(second)s.") % {"column": column, "first": seen[column],
                                                  "second": what})
            else:
                seen[column] = what
        ratings = {q.key for q in spec.by_kind(QuestionKind.DRIVER, QuestionKind.CORE_VALUE)}
        for key in self.drivers:
            if key not in ratings:
                errors.append(_("%(key)r is not a driver or core-value question of this wave.")
                              % {"key": key})
        competitors = {q.subject for q in spec.by_kind(QuestionKind.COMPETITOR)}
        for name in self.competitors:
            if name not in competitors:
                errors.append(_("%(name)r is not a competitor asked about in this wave.")
                              % {"name": name})
        if not errors and not any((self.nps, self.comment, self.improvement, self.drivers,
                                   self.competitors, self.contact_me)):
            errors.append(_(
                "No column is mapped to an answer (recommendation score, comments, ratings, "
                "competitors or contact request). The file's columns are: %(columns)s."
            ) % {"columns": ", ".join(table.column_names[:40])})
        return errors


# --- Proposals ----------------------------------------------------------------------------

def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9#]+", " ", text.lower()).split())


# Exact (folded) names first, then words or phrases anywhere in the name or label.
_RULES: dict[str, tuple[set[str], tuple[str, ...]]] = {
    "response_id": ({"responseid", "response id", "respondent id", "respondentid", "id", "#",
                     "response", "antwoord id", "_id", "submission id", "response_id"},
                    ("response id", "respondent id", "responseid")),
    "submitted_at": ({"enddate", "end date", "submitdate", "submitted at", "submit date utc",
                      "timestamp", "tijdstempel", "recordeddate", "date submitted",
                      "datum ingevuld", "ingevuld op", "submitted", "completed"},
                     ("submit", "tijdstempel", "timestamp")),
    "customer": ({"klantnummer", "customer number", "customer id", "customerid", "customer_id",
                  "customer no", "klant nr", "klantnr", "debiteurnummer", "relatienummer",
                  "e mail", "email", "recipientemail", "email address", "e mailadres",
                  "emailadres", "e mail adres"},
                 ("klantnummer", "customer number", "customer id", "debiteurnummer",
                  "relatienummer", "recipientemail", "e mail", "email")),
    "unit": ({"team", "afdeling", "unit", "vestiging", "regio", "department", "region",
              "branch", "team code", "teamcode", "unit code"},
             ("team", "afdeling", "unit", "vestiging", "regio", "department", "region")),
    "contact_me": ({"contact me", "contact", "contact opnemen", "terugbellen", "contact_me"},
                   ("contact met me", "contact met mij", "contact me", "contact opnemen",
                    "terugbellen", "contact me about", "benaderd")),
    "language": ({"userlanguage", "startlanguage", "language", "taal", "lang"}, ()),
    "nps": ({"nps", "aanbeveling", "recommend", "nps score"},
            ("nps", "aanbevelen", "aanbeveelt", "aanraden", "aanraadt", "recommend", "likely",
             "waarschijnlijk")),
    "improvement": ({"improve", "verbeterpunt", "verbeteren", "improvement"},
                    ("verbeter", "improve")),
    "comment": ({"why", "waarom", "reason", "reden", "toelichting", "comment", "opmerking"},
                ("waarom", "why", "reason", "reden", "toelichting", "comment", "opmerking")),
}

# English and Dutch words for the default drivers and attributes, by question key.
_SYNONYMS = {
    "bereikbaarheid": ("bereikbaar", "reachability", "reachable", "accessibility"),
    "snelheid": ("snel", "speed", "fast", "quick"),
    "vriendelijkheid": ("vriendelijk", "friendliness", "friendly"),
    "deskundigheid": ("deskundig", "expertise", "knowledge", "expert"),
    "prijs-kwaliteit": ("prijs kwaliteit", "prijs", "price", "value for money", "price value"),
    "communicatie": ("communicatie", "communication"),
    "kanaal": ("kanaal", "channel"),
    "segment": ("segment", "doelgroep"),
    "product": ("product", "dienst"),
}


def _text(column) -> str:
    return _fold(column.name + " " + (column.label if column.label != column.name else ""))


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?:^|\s){re.escape(phrase)}", text) is not None


def _match(column, rule: tuple[set[str], tuple[str, ...]]) -> int:
    exact, words = rule
    name = _fold(column.name)
    if name in exact or column.name.strip().lower() in exact:
        return 2
    text = _text(column)
    return 1 if any(_contains(text, w) for w in words) else 0


def _subject_words(question) -> list[str]:
    words = [_fold(question.key.replace("-", " ")), _fold(question.subject)]
    words += [_fold(w) for w in _SYNONYMS.get(question.key, ())]
    return [w for w in words if w and len(w) >= 3]


def subject_score(column, question) -> int:
    """How well a column names the question's key or subject (0 = not at all)."""
    name, text = _fold(column.name), _text(column)
    words = _subject_words(question)
    if name in words:
        return 3
    if any(_contains(text, w) for w in words):
        return 2 if _contains(name, words[0]) or any(_contains(name, w) for w in words) else 1
    return 0


def _mostly(preview: list[list[str]], index: int, parse) -> bool:
    """True when most non-blank preview cells of the column parse (one typo is allowed)."""
    values = [row[index] for row in preview if index < len(row) and row[index].strip()]
    good = 0
    for value in values:
        try:
            good += parse(value) is not None
        except CellInvalid:
            pass
    return not values or good * 2 >= len(values)


def propose_mapping(table: SourceTable, spec: QuestionnaireSpec, *,
                    saved: dict | None = None) -> Mapping:
    """Guess a mapping from column names, labels and the first rows.

    A ``saved`` mapping (a MappingProfile's) whose columns all exist in ``table`` wins.
    """
    if saved:
        try:
            mapping = Mapping.from_json(saved)
        except MappingInvalid:
            mapping = None
        if mapping is not None and not mapping.is_empty() and all(
            column in table.column_names for _what, column in mapping.used_columns()
        ):
            ratings = {q.key for q in spec.by_kind(QuestionKind.DRIVER, QuestionKind.CORE_VALUE)}
            mapping.drivers = {k: v for k, v in mapping.drivers.items() if k in ratings}
            return mapping
    preview = table.preview(10)
    free = list(table.columns)
    mapping = Mapping()

    def take(column) -> str:
        free.remove(column)
        return column.name

    def best(rule, accept=lambda column: True):
        scored = [(_match(c, rule), -c.index, c) for c in free if accept(c)]
        scored = [s for s in scored if s[0]]
        return max(scored, key=lambda s: (s[0], s[1]))[2] if scored else None

    for name in ("response_id", "submitted_at"):
        if column := best(_RULES[name]):
            setattr(mapping, name, take(column))
    # Prefer a customer number over an e-mail address.
    numbers = ({"klantnummer", "customer number", "customer id", "customerid", "customer_id",
                "klantnr", "klant nr", "debiteurnummer", "relatienummer", "customer no"},
               ("klantnummer", "customer number", "customer id", "debiteurnummer",
                "relatienummer"))
    if column := best(numbers) or best(_RULES["customer"]):
        mapping.customer = take(column)
    if column := best(_RULES["nps"], lambda c: _mostly(preview, c.index, parse_nps)):
        mapping.nps = take(column)
    ratings = spec.by_kind(QuestionKind.DRIVER, QuestionKind.CORE_VALUE)
    for question in ratings:
        scored = [(subject_score(c, question), -c.index, c) for c in free
                  if _mostly(preview, c.index, parse_number)]
        scored = [s for s in scored if s[0]]
        if scored:
            mapping.drivers[question.key] = take(max(scored, key=lambda s: (s[0], s[1]))[2])
    for name in ("improvement", "comment", "contact_me", "language", "unit"):
        if column := best(_RULES[name]):
            setattr(mapping, name, take(column))
    for question in spec.by_kind(QuestionKind.COMPETITOR):
        subject = _fold(question.subject)
        for column in free:
            if subject and _contains(_text(column), subject):
                mapping.competitors[question.subject] = take(column)
                break
    attributes = spec.by_kind(QuestionKind.ATTRIBUTE) or []
    for question in attributes:
        scored = [(subject_score(c, question), -c.index, c) for c in free]
        scored = [s for s in scored if s[0] >= 2]
        if scored:
            mapping.attributes[question.key] = take(max(scored, key=lambda s: (s[0], s[1]))[2])
    return mapping
