"""The event envelope: the one wire contract agency systems publish and every service reads.

An event is an envelope whose `event_type` picks its payload model from the catalogue in payloads.py.
Parse with `parse_event` / `parse_event_json`; serialise with `model_dump_json` at the edges only.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Union
from uuid import UUID, uuid4

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    create_model,
    field_validator,
)

from shared.bounds import Moment, Version
from shared.payloads import PAYLOADS, Payload
from shared.roles import Agency
from shared.sensitivity import Sensitivity, sensitivity_of


class SealedValue(BaseModel):
    """A sealed field on the wire (shared/sealing.py makes and opens them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sealed: str = Field(min_length=1)
    digest: str = Field(min_length=1)


class Source(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    agency: Agency
    system: str = Field(min_length=1, max_length=100)


class Identifier(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str = Field(min_length=1, max_length=50)
    value: str = Field(min_length=1, max_length=200)


class Person(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    identifiers: list[Identifier] = Field(min_length=1)


class Envelope(BaseModel):
    """Fields common to every event; `payload` is typed per event type by the subclasses below."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str
    version: Version = 1
    occurred_at: Moment
    source: Source
    case_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    person: Person
    correlation_id: str | None = Field(default=None, max_length=200)
    payload: Payload

    @field_validator("occurred_at")
    @classmethod
    def _store_as_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("payload")
    @classmethod
    def _payload_fits_the_event_time(cls, value: Payload, info: ValidationInfo) -> Payload:
        occurred_at = info.data.get("occurred_at")
        if occurred_at is not None:  # else occurred_at itself is reported invalid
            value.check_timing(occurred_at)
        return value


def _typed_envelope(event_type: str, payload: type[Payload]) -> type[Envelope]:
    name = payload.__name__ + "Event"
    fields: dict[str, Any] = {"event_type": (Literal[event_type], ...), "payload": (payload, ...)}
    return create_model(name, __base__=Envelope, **fields)


EVENT_MODELS: dict[str, type[Envelope]] = {t: _typed_envelope(t, p) for t, p in PAYLOADS.items()}
Event = Annotated[Union[tuple(EVENT_MODELS.values())], Field(discriminator="event_type")]  # type: ignore[valid-type]  # noqa: UP007
_EVENT: TypeAdapter[Envelope] = TypeAdapter(Event)  # type: ignore[arg-type]  # a union of Envelope subclasses


def _sealed_payload(event_type: str, payload: type[Payload]) -> type[Payload]:
    """The payload as it travels: each risk, clinical and intelligence field is sealed (shared/sealing.py),
    or None when empty; a subclass, so the services' isinstance checks still hold. The clear type is still
    accepted, for a bench run with sealing off (intake refuses that in production)."""
    sealed_classes = {Sensitivity.RISK, Sensitivity.CLINICAL, Sensitivity.INTELLIGENCE}
    fields: dict[str, Any] = {
        name: (SealedValue | payload.model_fields[name].annotation | None, None)
        for name, sensitivity in sensitivity_of(payload).items()
        if sensitivity in sealed_classes
    }
    return create_model("Sealed" + payload.__name__, __base__=payload, **fields) if fields else payload


SEALED_EVENT_MODELS: dict[str, type[Envelope]] = {
    t: _typed_envelope(t, _sealed_payload(t, p)) for t, p in PAYLOADS.items()
}
SealedEvent = Annotated[Union[tuple(SEALED_EVENT_MODELS.values())], Field(discriminator="event_type")]  # type: ignore[valid-type]  # noqa: UP007
_SEALED_EVENT: TypeAdapter[Envelope] = TypeAdapter(SealedEvent)  # type: ignore[arg-type]


def parse_event(data: object) -> Envelope:
    """Validate a decoded JSON object into the envelope subclass its `event_type` names."""
    return _EVENT.validate_python(data)


def parse_event_json(raw: str | bytes) -> Envelope:
    return _EVENT.validate_json(raw)


def parse_sealed_event_json(raw: str | bytes) -> Envelope:
    """An event as on drr.events, its sensitive fields sealed: what the router and the notifier read. Not
    validated again beyond shape (intake validated the clear event before sealing it)."""
    return _SEALED_EVENT.validate_json(raw)


def event_json_schema(ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    return _EVENT.json_schema(ref_template=ref_template)
