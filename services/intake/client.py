"""A small client for agency systems: publish events to intake without losing or doubling any.

    with IntakeClient("http://127.0.0.1:8001", api_key) as intake:
        receipt = intake.publish(event)            # {"event_id": ..., "duplicate": false}
        results = intake.publish_batch(events)     # one result per event, in order

Each event gets its `event_id` before the first attempt, so a retry is recognised as a repeat (200 with
the original receipt) instead of publishing twice. Retries: transport errors, 5xx, 429 and a 409
`request_in_progress` (an identical request still holds the event id: after an intake crash mid-publish,
until its claim goes stale), with exponential backoff and full jitter, honouring Retry-After. Other 4xx
are the sender's to fix: raised.
"""

import random
import time
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

RETRYABLE = frozenset({429, 500, 502, 503, 504})
NOT_YET = frozenset({"request_in_progress"})
"""409 reasons that mean "retry later", not "fix the request"."""
BATCH_LIMIT = 500


class PublishError(Exception):
    """Intake refused the event (4xx), or still could not take it after every attempt."""

    def __init__(self, status: int | None, body: dict[str, Any]) -> None:
        super().__init__(f"intake answered {status}: {body.get('error', 'no answer')}")
        self.status, self.body = status, body


class IntakeClient:
    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        max_attempts: int = 6,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"}
        self._http = httpx.Client(base_url=url, headers=headers, timeout=30, transport=transport)
        self._attempts, self._backoff_s, self._max_backoff_s, self._sleep = (
            max_attempts,
            backoff_s,
            max_backoff_s,
            sleep,
        )

    def __enter__(self) -> "IntakeClient":
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def publish(self, event: dict[str, Any]) -> dict[str, Any]:
        """The receipt once intake has the event durably (202, or 200 for a repeat)."""
        event = with_event_id(event)
        status, body = None, {}
        for attempt in range(self._attempts):
            response = self._post("/v1/events", event)
            if response is not None and not _retryable(response):
                if response.status_code in (200, 202):
                    return dict(response.json())
                raise PublishError(response.status_code, _json(response))
            status, body = (response.status_code, _json(response)) if response is not None else (None, {})
            self._wait(attempt, response)
        raise PublishError(status, body)

    def publish_batch(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One result per event, in order; items intake marks retryable are sent again (same ids)."""
        events = [with_event_id(e) for e in events]
        results: list[dict[str, Any]] = []
        for start in range(0, len(events), BATCH_LIMIT):
            results += self._publish_chunk(events[start : start + BATCH_LIMIT], start)
        return results

    def _publish_chunk(self, events: list[dict[str, Any]], offset: int) -> list[dict[str, Any]]:
        final: dict[int, dict[str, Any]] = {}
        pending = list(range(len(events)))
        for attempt in range(self._attempts):
            response = self._post("/v1/events:batch", {"events": [events[i] for i in pending]})
            if response is not None and response.status_code == 200:
                answered = response.json()["results"]
                for i, result in zip(pending, answered, strict=True):
                    final[i] = {**result, "index": offset + i}
                pending = [i for i, r in zip(pending, answered, strict=True) if r["retryable"]]
            elif response is not None and not _retryable(response):
                raise PublishError(response.status_code, _json(response))
            if not pending:
                break
            self._wait(attempt, response)
        return [final.get(i, _gave_up(offset + i)) for i in range(len(events))]

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response | None:
        try:
            return self._http.post(path, json=body)
        except httpx.TransportError:
            return None

    def _wait(self, attempt: int, response: httpx.Response | None) -> None:
        if attempt + 1 >= self._attempts:
            return
        retry_after = response.headers.get("retry-after", "") if response is not None else ""
        if retry_after.isdigit():
            self._sleep(float(retry_after))
        else:
            self._sleep(random.uniform(0, min(self._max_backoff_s, self._backoff_s * 2**attempt)))


def with_event_id(event: dict[str, Any]) -> dict[str, Any]:
    """The event with an id of its own: chosen once, kept for every retry."""
    return event if event.get("event_id") else {**event, "event_id": str(uuid.uuid4())}


def _retryable(response: httpx.Response) -> bool:
    status = response.status_code
    return status in RETRYABLE or (status == 409 and _json(response).get("error") in NOT_YET)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _gave_up(index: int) -> dict[str, Any]:
    return {"index": index, "status": "rejected", "error": "gave_up", "errors": [], "retryable": True}
