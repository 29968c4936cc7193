"""The entries endpoint over a real ledger file, with no Kafka."""

import hashlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from services.audit.adapters import Ledger
from services.audit.app import create_app
from shared.audit_records import AuditRecord, canonical_json

ENTRIES = "/v1/audit/entries"


def _record(case_id: str) -> AuditRecord:
    fields = {
        "record_id": uuid4(),
        "kind": "sharing.decided",
        "service": "router",
        "case_id": case_id,
        "fields_withheld": ["medication"],
    }
    return AuditRecord.model_validate(fields)


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit")


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger.open(tmp_path / "audit.sqlite3")


@pytest.fixture
def records(ledger: Ledger) -> list[AuditRecord]:
    records = [_record(case) for case in ("a", "b", "a", "a", "b")]
    ledger.append(records)
    return records


@pytest.fixture
async def client(ledger: Ledger) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(create_app(ledger)) as client:
        yield client


async def _page(client: httpx.AsyncClient, **params: Any) -> Any:
    response = await client.get(ENTRIES, params=params)
    assert response.status_code == 200
    return response.json()


def _seqs(page: Any) -> list[int]:
    return [entry["seq"] for entry in page["entries"]]


async def test_entries_carry_records_exactly_as_hashed(client: httpx.AsyncClient, records: list[AuditRecord]) -> None:
    page = await _page(client)
    assert page["chain_intact"] is True and page["next_after"] is None and _seqs(page) == [1, 2, 3, 4, 5]
    assert [e["record"] for e in page["entries"]] == [r.model_dump(mode="json") for r in records]
    prev = "0" * 64
    for entry in page["entries"]:
        hashed = hashlib.sha256(prev.encode() + canonical_json(entry["record"])).hexdigest()
        assert (entry["prev_hash"], entry["entry_hash"]) == (prev, hashed)
        prev = entry["entry_hash"]


async def test_entries_filter_by_case_and_page_with_next_after(
    client: httpx.AsyncClient, records: list[AuditRecord]
) -> None:
    first = await _page(client, case_id="a", limit=2)
    assert _seqs(first) == [1, 3] and first["next_after"] == 3
    rest = await _page(client, case_id="a", limit=2, after=3)
    assert _seqs(rest) == [4] and rest["next_after"] is None
    exact = await _page(client, case_id="b", limit=2)
    assert _seqs(exact) == [2, 5] and exact["next_after"] is None
    assert _seqs(await _page(client, case_id="zzz")) == []


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"after": -1}, {"after": "x"}])
async def test_out_of_range_paging_is_refused(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    assert (await client.get(ENTRIES, params=params)).status_code == 422


async def test_default_and_maximum_page_sizes(ledger: Ledger, client: httpx.AsyncClient) -> None:
    ledger.append([_record("a") for _ in range(1001)])
    default = await _page(client)
    assert len(_seqs(default)) == 100 and default["next_after"] == 100
    most = await _page(client, limit=1000)
    assert len(_seqs(most)) == 1000 and most["next_after"] == 1000


async def test_a_tampered_ledger_is_reported_whatever_case_is_asked_for(
    ledger: Ledger, client: httpx.AsyncClient, records: list[AuditRecord]
) -> None:
    with closing(sqlite3.connect(ledger.path, isolation_level=None)) as db:
        db.execute("DROP TRIGGER audit_entries_no_update")
        db.execute("UPDATE audit_entries SET record_json = replace(record_json, 'router', 'x') WHERE seq = 2")
    assert (await _page(client, case_id="a"))["chain_intact"] is False
