"""Turn a request body into an event (or a batch of them), or into a rejection an agency system can act on.

Error details name the field and the rule broken, never the value sent (it may be personal data).
"""

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from shared.events import Envelope, parse_event
from shared.payloads import PAYLOADS


@dataclass(frozen=True)
class Rejection:
    status: int
    reason: str
    event_type: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {"error": self.reason, "errors": self.errors}


def validate(body: bytes, max_bytes: int) -> Envelope | Rejection:
    data = _decode(body, max_bytes)
    return data if isinstance(data, Rejection) else validate_item(data)


def validate_item(data: object) -> Envelope | Rejection:
    try:
        return parse_event(data)
    except ValidationError as exc:
        return Rejection(422, "invalid_event", _known_type(data), [_describe(e) for e in exc.errors()])


def validate_batch(body: bytes, max_bytes: int, max_events: int) -> list[Envelope | Rejection] | Rejection:
    """A batch is `{"events": [...]}` with 1 to max_events items; each item is judged on its own."""
    data = _decode(body, max_bytes)
    if isinstance(data, Rejection):
        return data
    events = data.get("events") if isinstance(data, dict) and set(data) == {"events"} else None
    if not isinstance(events, list) or not 1 <= len(events) <= max_events:
        message = f'expected {{"events": [...]}} with 1 to {max_events} events'
        return Rejection(422, "invalid_batch", errors=[{"field": "events", "message": message}])
    return [validate_item(item) for item in events]


def _decode(body: bytes, max_bytes: int) -> Any:
    if len(body) > max_bytes:
        return Rejection(413, "body_too_large", errors=[{"field": "", "message": f"at most {max_bytes} bytes"}])
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, or an integer of more than 4,300 digits
        return Rejection(422, "malformed_json", errors=[{"field": "", "message": "body is not valid JSON"}])


def _describe(error: Any) -> dict[str, str]:
    loc = [str(part) for part in error["loc"]]
    if loc and loc[0] in PAYLOADS:  # the union tag pydantic puts first
        loc = loc[1:]
    return {"field": ".".join(loc), "type": error["type"], "message": error["msg"]}


def _known_type(data: Any) -> str | None:
    event_type = data.get("event_type") if isinstance(data, dict) else None
    return event_type if isinstance(event_type, str) and event_type in PAYLOADS else None
