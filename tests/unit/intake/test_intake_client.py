"""The agency-system client: retries 5xx, 429 and broken connections with the same event id, honours
Retry-After, raises what the sender must fix, and retries only the retryable items of a batch."""

import json
from collections.abc import Callable

import httpx
import pytest
from intake_fakes import trigger

from services.intake.client import IntakeClient, PublishError

Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*answers: httpx.Response | Exception) -> tuple[Handler, list[dict[str, object]]]:
    """A server that gives these answers in turn and records each body it was sent."""
    sent: list[dict[str, object]] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle, sent


def client(handler: Handler, sleeps: list[float]) -> IntakeClient:
    return IntakeClient("http://intake", "drr_k_s", transport=httpx.MockTransport(handler), sleep=sleeps.append)


def test_retries_keep_the_event_id_and_honour_retry_after() -> None:
    handler, sent = scripted(
        httpx.Response(503, json={"error": "broker_unavailable"}, headers={"Retry-After": "5"}),
        httpx.ConnectError("refused"),
        httpx.Response(429, json={"error": "rate_limited"}, headers={"Retry-After": "2"}),
        httpx.Response(200, json={"event_id": "x", "duplicate": True}),
    )
    sleeps: list[float] = []
    with client(handler, sleeps) as intake:
        assert intake.publish(trigger()) == {"event_id": "x", "duplicate": True}
    assert len({str(body["event_id"]) for body in sent}) == 1 and len(sent) == 4
    assert sleeps[0] == 5 and sleeps[2] == 2 and 0 <= sleeps[1] <= 1


def test_a_refusal_the_sender_must_fix_is_raised_at_once() -> None:
    handler, sent = scripted(httpx.Response(403, json={"error": "agency_mismatch", "errors": []}))
    with client(handler, []) as intake, pytest.raises(PublishError) as refused:
        intake.publish(trigger())
    assert refused.value.status == 403 and refused.value.body["error"] == "agency_mismatch" and len(sent) == 1


def test_an_identical_request_still_in_progress_is_retried_not_raised() -> None:
    """An intake killed mid-publish leaves the event id claimed until the claim goes stale: intake answers
    409 request_in_progress with Retry-After, and an agency system must keep trying (chaos run, seed 157929)."""
    handler, sent = scripted(
        httpx.Response(409, json={"error": "request_in_progress"}, headers={"Retry-After": "1"}),
        httpx.Response(202, json={"event_id": "x", "duplicate": False}),
    )
    sleeps: list[float] = []
    with client(handler, sleeps) as intake:
        assert intake.publish(trigger())["event_id"] == "x"
    assert len(sent) == 2 and sleeps == [1]


def test_a_conflicting_reuse_of_an_event_id_is_raised_at_once() -> None:
    handler, sent = scripted(httpx.Response(409, json={"error": "idempotency_conflict", "errors": []}))
    with client(handler, []) as intake, pytest.raises(PublishError) as refused:
        intake.publish(trigger())
    assert refused.value.body["error"] == "idempotency_conflict" and len(sent) == 1


def test_giving_up_after_the_last_attempt() -> None:
    handler, sent = scripted(*[httpx.Response(503, json={"error": "broker_unavailable"})] * 6)
    sleeps: list[float] = []
    with client(handler, sleeps) as intake, pytest.raises(PublishError):
        intake.publish(trigger())
    assert len(sent) == 6 and len(sleeps) == 5


def test_a_batch_resends_only_the_retryable_items() -> None:
    def result(index: int, status: str, retryable: bool = False) -> dict[str, object]:
        return {"index": index, "status": status, "event_id": None, "error": None, "errors": [], "retryable": retryable}

    first = [result(0, "accepted"), result(1, "rejected", retryable=True), result(2, "rejected")]
    handler, sent = scripted(
        httpx.Response(200, json={"results": first}), httpx.Response(200, json={"results": [result(0, "accepted")]})
    )
    events = [trigger(), trigger(), trigger()]
    with client(handler, []) as intake:
        results = intake.publish_batch(events)
    assert [r["status"] for r in results] == ["accepted", "accepted", "rejected"]
    assert [r["index"] for r in results] == [0, 1, 2]
    resent = sent[1]["events"]
    assert isinstance(resent, list) and len(resent) == 1
    assert resent[0]["event_id"] == sent[0]["events"][1]["event_id"]  # type: ignore[index]
