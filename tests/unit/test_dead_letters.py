"""One bad message never stops a service: shared.dead_letters and the router's agent."""

import asyncio
import json
from typing import Any

import faust
import pytest

import services.router.app as router_app
from deploy.local.demo_case import case_history
from services.router.app import build
from services.router.bootstrap import RouterSettings
from shared import topics
from shared.dead_letters import handle_or_dead_letter
from shared.policy import load_policy
from tests.case_keys_kit import memory_keys, sealed
from tests.faust_agents import fed
from tests.unit.test_router_agent import FakeProducer, deliveries

SECRET = "Jörg Weiß, 12 Hill Road"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, *, value: bytes, headers: Any = None) -> None:
        self.sent.append({"value": value, "headers": dict(headers or [])})


async def test_a_data_error_deeper_in_a_handler_is_dead_lettered_without_the_content() -> None:
    async def handle(raw: bytes) -> None:
        json.loads(raw)["address"]["street"]  # a message of the wrong shape: TypeError

    letters = Recorder()
    raw = json.dumps({"address": SECRET}).encode()
    assert await handle_or_dead_letter(handle, raw, letters, "drr.notifier-acks", consumer="notifier") is False
    [letter] = letters.sent
    assert letter["value"] == raw  # whole, for an operator to replay
    assert letter["headers"]["source"] == b"drr.notifier-acks" and letter["headers"]["consumer"] == b"notifier"
    assert letter["headers"]["error"].startswith(b"TypeError at test_dead_letters.py:")
    assert SECRET.encode() not in letter["headers"]["error"]


async def test_anything_but_a_data_error_propagates() -> None:
    async def handle(raw: bytes) -> None:
        raise ConnectionError("broker gone")

    letters = Recorder()
    with pytest.raises(ConnectionError):
        await handle_or_dead_letter(handle, b"{}", letters, topics.EVENTS)
    assert letters.sent == []


@pytest.fixture
def topic_sends(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    records: list[tuple[str, dict[str, Any]]] = []

    async def record(self: faust.Topic, **kwargs: Any) -> asyncio.Future[None]:
        records.append((self.get_topic_name(), kwargs))
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acked.set_result(None)
        return acked

    monkeypatch.setattr(faust.Topic, "send", record)
    return records


@pytest.mark.parametrize(
    "bad",
    [
        b"not json",
        b"[]",
        json.dumps({**case_history("C-BAD")[0], "event_type": "no.such"}).encode(),
        json.dumps({**case_history("C-BAD")[0], "occurred_at": "0001-01-01T00:00:00+14:00"}).encode(),
        json.dumps({**case_history("C-BAD")[0], "version": 2**63}).encode(),
    ],
    ids=["not-json", "wrong-shape", "unknown-type", "time-out-of-range", "version-out-of-range"],
)
async def test_the_router_dead_letters_a_bad_event_and_routes_the_next(
    bad: bytes, topic_sends: list[tuple[str, dict[str, Any]]]
) -> None:
    producer, history, keys = FakeProducer(), case_history("C-NEXT"), memory_keys()
    app = build(RouterSettings(), load_policy(), producer, keys)
    async with fed(app, "services.router.app.route") as put:
        await put(bad, key=b"C-BAD")
        for raw in await sealed(history, keys):
            await put(raw, key=b"C-NEXT")
    [(topic, letter)] = topic_sends
    assert topic == topics.DEAD_LETTERS and letter["value"] == bad
    assert dict(letter["headers"])["source"] == topics.EVENTS.encode()
    assert deliveries(producer) and {d.case_id for d in deliveries(producer)} == {"C-NEXT"}


async def test_the_router_dead_letters_an_event_its_handler_cannot_use(
    topic_sends: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It parses, yet fails deeper (here, a state the handler trips on): dead-lettered, not a crash loop."""
    producer, history = FakeProducer(), case_history("C-DEEP")
    calls: list[str] = []

    def trips(event: Any, *args: Any) -> Any:
        calls.append(event.event_type)
        if len(calls) == 1:
            raise KeyError("case_manager")
        return real(event, *args)

    real = router_app.handle
    monkeypatch.setattr(router_app, "handle", trips)
    keys = memory_keys()
    app = build(RouterSettings(), load_policy(), producer, keys)
    async with fed(app, "services.router.app.route") as put:
        for raw in await sealed(history, keys):
            await put(raw, key=b"C-DEEP")
    [(topic, letter)] = topic_sends
    assert topic == topics.DEAD_LETTERS and json.loads(letter["value"])["event_type"] == history[0]["event_type"]
    assert dict(letter["headers"])["error"].startswith(b"KeyError at ")
    assert len(calls) == len(history)
    assert deliveries(producer)  # the events after it were routed


async def test_the_router_dead_letters_an_event_of_an_erased_case_and_routes_the_others(
    topic_sends: list[tuple[str, dict[str, Any]]],
) -> None:
    """Its digest key is gone with the case (crypto-shredding): nothing about it can be shared or digested."""
    producer, keys = FakeProducer(), memory_keys()
    erased, other = case_history("C-ERASED"), case_history("C-KEPT")
    late = await sealed(erased, keys)
    await keys.erase("C-ERASED")
    app = build(RouterSettings(), load_policy(), producer, keys)
    async with fed(app, "services.router.app.route") as put:
        await put(late[0], key=b"C-ERASED")
        for raw in await sealed(other, keys):
            await put(raw, key=b"C-KEPT")
    [(topic, letter)] = topic_sends
    assert topic == topics.DEAD_LETTERS and dict(letter["headers"])["error"].startswith(b"CaseKeyMissing")
    assert {d.case_id for d in deliveries(producer)} == {"C-KEPT"}
