"""The shapes the REST API reads and writes (django-ninja / pydantic schemas).

Every text field refuses the NUL character: PostgreSQL cannot store it, and a
request that carries one is a client's mistake (422), never a server error.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Discriminator, Field, StrictBool, StrictFloat, StrictInt, Tag

MAX_BATCH = 1000
NO_NUL = r"^[^\x00]*$"

Text = Annotated[str, Field(pattern=NO_NUL)]
Key = Annotated[str, Field(min_length=1, max_length=120, pattern=NO_NUL)]
# Strict: a score sent as "7" or true is a client error, not something to guess at.
Score = Annotated[StrictFloat, Field(allow_inf_nan=False)]
ComparisonValue = Literal["better", "same", "worse"]


# --- Errors -------------------------------------------------------------------------------

class ErrorItem(Schema):
    """One problem: which item of a batch (if any), which field, and what is wrong."""

    index: int | None = Field(None, description="Position of the item in a posted list.")
    field: str = Field("", description="The field or question key at fault.")
    message: str


class ErrorOut(Schema):
    """Every error response has this body."""

    detail: str
    errors: list[ErrorItem] = Field(default_factory=list)


# --- Waves --------------------------------------------------------------------------------

class WaveOut(Schema):
    id: int
    name: str
    status: Literal["draft", "open", "closed"]
    period_start: date | None
    period_end: date | None
    is_anonymous: bool
    response_count: int
    created_at: datetime


class QuestionOut(Schema):
    key: str
    kind: str
    text_nl: str
    text_en: str
    subject: str
    scale_max: int
    options: list[str]
    is_required: bool
    position: int


class WaveDetailOut(WaveOut):
    questions: list[QuestionOut]


class WavePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[WaveOut]


# --- Responses ----------------------------------------------------------------------------

class ResponseOut(Schema):
    id: int
    external_id: str
    customer_number: str | None
    customer_email: str | None
    unit: str | None = Field(description="The unit's code.")
    nps: int | None
    comment: str
    improvement: str
    scores: dict[str, float]
    competitors: dict[str, str]
    attributes: dict[str, str]
    contact_me: bool
    language: str
    source: str
    status: str
    submitted_at: datetime | None
    updated_at: datetime


class ResponsePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ResponseOut]


class ResponseIn(Schema):
    """One response to record. Give the customer by number or e-mail address; the unit
    (by code) defaults to the customer's unit. Every answer may be left out."""

    external_id: Annotated[str, Field(max_length=100, pattern=NO_NUL)] = Field(
        "", description="Your own id for the response; a second post with it is refused.")
    customer_number: Annotated[str, Field(max_length=60, pattern=NO_NUL)] | None = None
    customer_email: Annotated[str, Field(max_length=254, pattern=NO_NUL)] | None = None
    unit: Annotated[str, Field(max_length=40, pattern=NO_NUL)] | None = Field(
        None, description="The unit's code.")
    nps: Annotated[StrictInt, Field(ge=0, le=10)] | None = None
    comment: Annotated[str, Field(max_length=10_000, pattern=NO_NUL)] = ""
    improvement: Annotated[str, Field(max_length=10_000, pattern=NO_NUL)] = ""
    scores: dict[Key, Score] = Field(default_factory=dict, max_length=100,
                                     description="Rating by question key.")
    competitors: dict[Key, ComparisonValue] = Field(
        default_factory=dict, max_length=50, description="better, same or worse by competitor.")
    attributes: dict[Key, Annotated[str, Field(max_length=500, pattern=NO_NUL)]] = Field(
        default_factory=dict, max_length=50, description="Segment, product, channel, ...")
    contact_me: StrictBool = False
    language: Annotated[str, Field(max_length=8, pattern=NO_NUL)] = ""


def _batch_tag(value) -> str:
    return "many" if isinstance(value, list) else "one"


# One response, or a list of up to MAX_BATCH; the tag keeps validation errors to the
# shape that was actually sent.
ResponsesIn = Annotated[
    Annotated[ResponseIn, Tag("one")]
    | Annotated[list[ResponseIn], Field(min_length=1, max_length=MAX_BATCH), Tag("many")],
    Discriminator(_batch_tag),
]


class PostedOut(Schema):
    """What a post recorded, in the order sent."""

    created: int
    ids: list[int]
    follow_ups: int
