"""The oversight API's doors over a real ledger file, no Kafka: only declared parameters, dates that
cannot overflow, query records holding only what was asked (normalised), tokens that expire and can be
revoked, and tokens scoped to agencies that see their cases only (another case: 404, like no case)."""

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from services.audit.app import create_app
from services.audit.checkpoints import Signer, checkpoint_now
from services.audit.leaves import EntryFilter, leaf_of
from services.audit.sqlite_store import SqliteLedger
from services.audit.tokens import issue, revoke
from shared.audit_records import AuditKind, AuditRecord

ORIGIN = "doors.test/audit"


class DirectQueryLog:
    def __init__(self, ledger: SqliteLedger) -> None:
        self.ledger = ledger

    async def record(self, *, record: AuditRecord) -> None:
        self.ledger.append([leaf_of(record)])


def received(case_id: str, agency: str) -> AuditRecord:
    return AuditRecord(record_id=uuid4(), kind=AuditKind.EVENT_RECEIVED, service="intake", case_id=case_id,
                       event_type="trigger.reported", source_agency=agency)  # fmt: skip


def decided(case_id: str, recipient_agency: str) -> AuditRecord:
    return AuditRecord(record_id=uuid4(), kind=AuditKind.SHARING_DECIDED, service="router", case_id=case_id,
                       event_type="trigger.reported", recipient_agency=recipient_agency, recipient_role="police",
                       outcome="shared", rule="r1")  # fmt: skip


CASES = [
    received("police-case", "police"),
    decided("police-case", "probation"),
    received("prison-case", "prison"),
    decided("shared-to-police", "police"),  # police received about it: a police case too
    AuditRecord(record_id=uuid4(), kind=AuditKind.EVENT_REJECTED, service="intake", case_id="claimed",
                source_agency="police", outcome="forbidden"),  # a rejected event vouches for no case
    AuditRecord(record_id=uuid4(), kind=AuditKind.POLICY_LOADED, service="router"),  # no case at all
]  # fmt: skip


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SqliteLedger]:
    ledger = SqliteLedger.open(tmp_path / "audit.sqlite3")
    ledger.append([leaf_of(record) for record in CASES])
    checkpoint_now(ledger, Signer.from_file(tmp_path / "signing.pem", ORIGIN), ORIGIN)
    yield ledger
    ledger.close()


@pytest.fixture
async def client(ledger: SqliteLedger) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ledger, DirectQueryLog(ledger), "key")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit") as c:
        c.headers["Authorization"] = f"Bearer {issue(ledger, 'ICO')}"
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def queries(ledger: SqliteLedger) -> list[dict[str, Any]]:
    return [json.loads(s.text) for s in ledger.entries(EntryFilter(kind="audit.queried"), 0, 1000)]


@pytest.mark.parametrize(
    ("path", "unknown"),
    [("/v1/audit/entries?case_id=a&secret_note=Jane+Doe", ["secret_note"]), ("/v1/checkpoint?x=1&a=2", ["a", "x"]),
     ("/v1/proofs/consistency?from=0&to=1&from_=0", ["from_"]), ("/v1/cases/a/disclosures?formt=html", ["formt"])],
)  # fmt: skip
async def test_an_unknown_parameter_is_refused_by_name_and_not_recorded(
    client: httpx.AsyncClient, ledger: SqliteLedger, path: str, unknown: list[str]
) -> None:
    size = ledger.size()
    answer = await client.get(path)
    assert answer.status_code == 422
    assert answer.json() == {"detail": {"reason": "unknown_parameter", "parameters": unknown}}
    assert ledger.size() == size and "Jane" not in json.dumps(queries(ledger))


async def test_a_repeated_parameter_is_refused(client: httpx.AsyncClient, ledger: SqliteLedger) -> None:
    size = ledger.size()
    answer = await client.get("/v1/audit/entries?case_id=a&case_id=b")
    assert answer.status_code == 422 and answer.json()["detail"] == {"reason": "repeated_parameter",
                                                                     "parameters": ["case_id"]}  # fmt: skip
    assert ledger.size() == size


async def test_without_a_token_an_unknown_parameter_is_still_a_401(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/audit/entries?nonsense=1", headers={"Authorization": ""})
    assert answer.status_code == 401 and answer.json()["detail"]["reason"] == "oversight_token_required"


@pytest.mark.parametrize(
    ("query", "wrong"),
    [("since=0001-01-01T00:00:00%2B14:00", ["since"]), ("until=9999-12-31T23:59:59-14:00", ["until"]),
     ("since=1969-12-31T23:59:59Z&until=9999-06-01T00:00:00Z", ["since", "until"]),
     ("since=2026-01-01T00:00:00", ["since"]), ("until=2026-01-01", ["until"]), ("since=1700000000", ["since"]),
     ("since=2026-02-30T00:00:00Z", ["since"])],
)  # fmt: skip
async def test_a_date_malformed_or_out_of_range_is_a_422_never_a_500(
    client: httpx.AsyncClient, ledger: SqliteLedger, query: str, wrong: list[str]
) -> None:
    size = ledger.size()
    answer = await client.get(f"/v1/audit/entries?{query}")
    assert answer.status_code == 422 and answer.json()["detail"]["reason"] == "invalid_date"
    assert answer.json()["detail"]["parameters"] == wrong and ledger.size() == size


async def test_the_record_holds_the_known_parameters_normalised(
    client: httpx.AsyncClient, ledger: SqliteLedger
) -> None:
    asked = {"since": "2026-01-01T12:00:00+02:00", "until": "2026-01-02T00:00:00.5z", "limit": "05", "role": "police"}
    assert (await client.get("/v1/audit/entries", params=asked)).status_code == 200
    assert queries(ledger)[-1]["query"] == {
        "path": "/v1/audit/entries", "since": "2026-01-01T10:00:00.000000Z", "until": "2026-01-02T00:00:00.500000Z",
        "limit": "5", "role": "police",
    }  # fmt: skip
    too_long = await client.get("/v1/audit/entries", params={"case_id": "x" * 201})
    assert too_long.status_code == 422 and isinstance(too_long.json()["detail"], list)


async def test_an_expired_token_is_a_401_token_expired(client: httpx.AsyncClient, ledger: SqliteLedger) -> None:
    old = issue(ledger, "ICO", days=30, now=datetime.now(UTC) - timedelta(days=31))
    fresh = issue(ledger, "ICO", days=30, now=datetime.now(UTC) - timedelta(days=29))
    size = ledger.size()
    answer = await client.get("/v1/checkpoint", headers=bearer(old))
    assert answer.status_code == 401 and answer.json() == {"detail": {"reason": "token_expired"}}
    assert "invalid_token" in answer.headers["www-authenticate"] and ledger.size() == size
    assert (await client.get("/v1/checkpoint", headers=bearer(fresh))).status_code == 200


async def test_a_revoked_token_is_a_401_token_revoked(client: httpx.AsyncClient, ledger: SqliteLedger) -> None:
    token, other = issue(ledger, "HMIP"), issue(ledger, "IOPC")
    assert (await client.get("/v1/checkpoint", headers=bearer(token))).status_code == 200
    assert [grant.name for grant in revoke(ledger, name="HMIP")] == ["HMIP"]
    answer = await client.get("/v1/checkpoint", headers=bearer(token))
    assert answer.status_code == 401 and answer.json() == {"detail": {"reason": "token_revoked"}}
    assert (await client.get("/v1/checkpoint", headers=bearer(other))).status_code == 200


def cases_seen(page: dict[str, Any]) -> set[str | None]:
    return {json.loads(entry["leaf"]).get("case_id") for entry in page["entries"]}


async def test_a_scoped_token_lists_only_its_agencies_cases(client: httpx.AsyncClient, ledger: SqliteLedger) -> None:
    police = bearer(issue(ledger, "IOPC", agencies=("police",)))
    page = (await client.get("/v1/audit/entries", params={"limit": 1000}, headers=police)).json()
    assert cases_seen(page) == {"police-case", "shared-to-police"}
    asked = await client.get("/v1/audit/entries", params={"case_id": "prison-case"}, headers=police)
    assert asked.status_code == 200 and asked.json()["entries"] == []
    both = bearer(issue(ledger, "HMIP", agencies=("police", "prison")))
    page = (await client.get("/v1/audit/entries", params={"limit": 1000}, headers=both)).json()
    assert cases_seen(page) == {"police-case", "shared-to-police", "prison-case"}
    everything = (await client.get("/v1/audit/entries", params={"limit": 1000})).json()
    assert {"claimed", None} <= cases_seen(everything)


async def test_a_case_outside_the_scope_is_a_404_like_a_case_that_does_not_exist(
    client: httpx.AsyncClient, ledger: SqliteLedger
) -> None:
    prison = bearer(issue(ledger, "HMIP", agencies=("prison",)))
    outside = await client.get("/v1/cases/police-case/disclosures", headers=prison)
    missing = await client.get("/v1/cases/no-such-case/disclosures", headers=prison)
    claimed = await client.get(
        "/v1/cases/claimed/disclosures", headers=bearer(issue(ledger, "x", agencies=("police",)))
    )
    assert outside.status_code == missing.status_code == claimed.status_code == 404
    assert outside.json() == missing.json() == {"detail": {"reason": "case_not_found"}}
    assert "police-case" not in outside.text
    inside = await client.get(
        "/v1/cases/shared-to-police/disclosures", headers=bearer(issue(ledger, "y", agencies=("police",)))
    )
    assert inside.status_code == 200 and [d["recipient_agency"] for d in inside.json()["disclosures"]] == ["police"]
    unscoped = await client.get("/v1/cases/police-case/disclosures")
    assert unscoped.status_code == 200 and len(unscoped.json()["disclosures"]) == 1
    assert queries(ledger)[-5]["actor"] == "HMIP"  # the refused look is on the record too: who tried


async def test_a_path_no_route_matches_is_a_404_with_a_reason(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/cases/a%2Fb/disclosures")
    assert answer.status_code == 404 and answer.json() == {"detail": {"reason": "not_found"}}
