"""Fixtures the notifier's agent tests share."""

import asyncio
from typing import Any

import faust
import pytest


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    records: list[tuple[str, dict[str, Any]]] = []

    async def record(self: faust.Topic, **kwargs: Any) -> asyncio.Future[None]:
        records.append((self.get_topic_name(), kwargs))
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acked.set_result(None)  # what a send's second await (the broker's acknowledgement) gives
        return acked

    monkeypatch.setattr(faust.Topic, "send", record)
    return records
