"""The oversight API over a real ledger file, no Kafka: tokens, proofs that verify, queries as leaves,
the transparency record; and the export that drr-verify checks, down to the entry that was edited."""

import json
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from drr_verify import cli
from drr_verify.export import verify_export
from drr_verify.notes import parse_verifier_key
from drr_verify.pages import consistent, unproven_entries

from services.audit.app import create_app
from services.audit.checkpoints import Signer, checkpoint_now
from services.audit.export import entry_line, export
from services.audit.leaves import EntryFilter, StoredLeaf, leaf_of
from services.audit.sqlite_store import SqliteLedger
from services.audit.tokens import issue
from shared.audit_records import AuditRecord

ORIGIN = "test.local/audit"


class DirectQueryLog:
    """Stands in for the Kafka round trip: the query's leaf goes straight into the ledger."""

    def __init__(self, ledger: SqliteLedger) -> None:
        self.ledger = ledger

    async def record(self, *, record: AuditRecord) -> None:
        self.ledger.append([leaf_of(record)])


def decision(case_id: str, role: str) -> AuditRecord:
    return AuditRecord.model_validate(
        {"record_id": uuid4(), "kind": "sharing.decided", "service": "router", "case_id": case_id,
         "event_type": "trigger.reported", "recipient_role": role, "recipient_agency": role, "rule": "first-rule",
         "outcome": "shared", "field_digests": {"severity": "ab" * 32}, "fields_withheld": ["clinical_notes"]}
    )  # fmt: skip


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SqliteLedger]:
    ledger = SqliteLedger.open(tmp_path / "audit.sqlite3")
    ledger.append(
        [leaf_of(decision(case, role)) for case, role in [("a", "police"), ("b", "probation"), ("a", "mental_health")]]
    )
    yield ledger
    ledger.close()


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return Signer.from_file(tmp_path / "keys" / "signing.pem", ORIGIN)


@pytest.fixture
async def client(ledger: SqliteLedger, signer: Signer) -> AsyncIterator[httpx.AsyncClient]:
    checkpoint_now(ledger, signer, ORIGIN)
    app = create_app(ledger, DirectQueryLog(ledger), signer.verifier_key)
    token = issue(ledger, "Information Commissioner")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit", headers=headers) as c:
        yield c


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer drr_ovs_guessed"}, 403), ({"Authorization": "Basic dXNlcg=="}, 403)],
)
@pytest.mark.parametrize("path", ["/v1/checkpoint", "/v1/audit/entries", "/v1/proofs/consistency?from=0&to=1",
                                  "/v1/cases/a/disclosures"])  # fmt: skip
async def test_no_oversight_token_gets_nothing(
    client: httpx.AsyncClient, ledger: SqliteLedger, path: str, headers: dict[str, str], status: int
) -> None:
    size = ledger.size()
    answer = await client.get(path, headers={"Authorization": "", **headers})
    assert answer.status_code == status and "entries" not in answer.text and "note" not in answer.text
    assert ledger.size() == size  # and nothing recorded for it


async def test_entries_carry_proofs_that_verify_against_the_signed_checkpoint(
    client: httpx.AsyncClient, signer: Signer
) -> None:
    page = (await client.get("/v1/audit/entries", params={"case_id": "a", "kind": "sharing.decided"})).json()
    records = [json.loads(e["leaf"]) for e in page["entries"]]
    assert [r["recipient_role"] for r in records] == ["police", "mental_health"]
    key = parse_verifier_key(signer.verifier_key)
    assert unproven_entries(page, key) == []
    forged = {**page, "entries": [{**page["entries"][0], "leaf": page["entries"][0]["leaf"].replace("police", "x")}]}
    assert unproven_entries(forged, key) == [0]
    swapped = {**page, "entries": [{**page["entries"][0], "index": 1}]}
    assert unproven_entries(swapped, key) == [1]


async def test_every_query_is_a_leaf_naming_who_asked_what(client: httpx.AsyncClient, ledger: SqliteLedger) -> None:
    await client.get("/v1/audit/entries", params={"case_id": "a", "role": "police"})
    page = (await client.get("/v1/audit/entries", params={"kind": "audit.queried"})).json()
    first = json.loads(page["entries"][0]["leaf"])
    assert first["actor"] == "Information Commissioner" and first["case_id"] == "a"
    assert first["query"] == {"path": "/v1/audit/entries", "case_id": "a", "role": "police"}
    assert len(page["entries"]) == 2  # the second query recorded itself before it was answered


@pytest.mark.parametrize(
    "path",
    ["/v1/audit/entries?limit=5000", "/v1/audit/entries?since=yesterday", "/v1/audit/entries?start=-1",
     "/v1/proofs/consistency?from=0", "/v1/proofs/consistency?from=0&to=999", "/v1/cases/a/disclosures?format=pdf"],
)  # fmt: skip
async def test_a_refused_request_is_not_recorded_as_a_query(
    client: httpx.AsyncClient, ledger: SqliteLedger, path: str
) -> None:
    size = ledger.size()
    answer = await client.get(path)
    assert answer.status_code == 422 and ledger.size() == size
    assert (await client.get("/v1/checkpoint")).status_code == 200 and ledger.size() == size + 1


async def test_consistency_between_two_checkpoints(
    client: httpx.AsyncClient, ledger: SqliteLedger, signer: Signer
) -> None:
    old = (await client.get("/v1/checkpoint")).json()
    ledger.append([leaf_of(decision("c", "police")) for _ in range(5)])
    checkpoint_now(ledger, signer, ORIGIN)
    new = (await client.get("/v1/checkpoint")).json()
    answer = (await client.get("/v1/proofs/consistency", params={"from": old["size"], "to": new["size"]})).json()
    key = parse_verifier_key(new["verifier_key"])
    assert answer["from_note"] == old["note"] and answer["to_note"] == new["note"]
    assert consistent(old["note"], new["note"], answer["proof"], key)
    assert not consistent(new["note"], old["note"], answer["proof"], key)
    too_far = await client.get("/v1/proofs/consistency", params={"from": 0, "to": new["size"] + 100})
    assert too_far.status_code == 422 and too_far.json()["detail"]["reason"] == "sizes_out_of_range"


async def test_the_transparency_record_as_json_and_html(client: httpx.AsyncClient) -> None:
    record = (await client.get("/v1/cases/a/disclosures")).json()
    rows = record["disclosures"]
    assert [r["recipient_role"] for r in rows] == ["police", "mental_health"]
    assert rows[0]["fields_withheld"] == ["clinical_notes"] and rows[0]["fields_shared"] == ["severity"]
    assert rows[0]["rule"] == "first-rule" and rows[0]["event_type"] == "trigger.reported"
    html = await client.get("/v1/cases/a/disclosures", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html")
    assert "<td>mental_health</td>" in html.text and "clinical_notes" in html.text and "probation" not in html.text


def _export(ledger: SqliteLedger, signer: Signer, folder: Path) -> Any:
    ledger.append([leaf_of(decision("d", "police")) for _ in range(6)])
    checkpoint_now(ledger, signer, ORIGIN)
    assert export(ledger, folder, signer.verifier_key) == ledger.size() == 9
    return parse_verifier_key(signer.verifier_key)


def test_an_untouched_export_verifies(ledger: SqliteLedger, signer: Signer, tmp_path: Path) -> None:
    checkpoint_now(ledger, signer, ORIGIN)
    key = _export(ledger, signer, tmp_path / "out")
    report = verify_export(tmp_path / "out", key)
    assert report.ok and report.entries == 9, report.message
    assert cli.main(["verify-export", "--key", str(tmp_path / "out" / "verifier_key.txt"), str(tmp_path / "out")]) == 0


def _edit_line(path: Path, index: int, change: Any) -> None:
    lines = path.read_text().splitlines()
    lines[index] = change(lines[index])
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("chunk_bytes", [8 << 20, 700])
def test_an_edited_entry_is_named(ledger: SqliteLedger, signer: Signer, tmp_path: Path, chunk_bytes: int) -> None:
    key = _export(ledger, signer, tmp_path)
    _edit_line(tmp_path / "entries.jsonl", 4, lambda line: line.replace("police", "prison"))
    report = verify_export(tmp_path, key, workers=2, chunk_bytes=chunk_bytes)
    assert not report.ok and report.first_bad_index == 4 and report.message == "entry 4: leaf does not match its hash"


def test_an_export_line_is_json_with_the_leaf_embedded_byte_for_byte(
    ledger: SqliteLedger, signer: Signer, tmp_path: Path
) -> None:
    _export(ledger, signer, tmp_path)
    stored = [s.text for s in ledger.entries(EntryFilter(), 0, 100)]
    for index, line in enumerate((tmp_path / "entries.jsonl").read_text().splitlines()):
        entry = json.loads(line)
        assert entry["index"] == index and line.endswith("," + '"leaf":' + stored[index] + "}")
        assert json.dumps(entry["leaf"], sort_keys=True, separators=(",", ":"), ensure_ascii=False) == stored[index]


@pytest.mark.parametrize("line", ["not json", '{"index": 3, "leaf": "{}"}', ""])
def test_a_line_not_in_the_export_format_is_named(
    ledger: SqliteLedger, signer: Signer, tmp_path: Path, line: str
) -> None:
    key = _export(ledger, signer, tmp_path)
    _edit_line(tmp_path / "entries.jsonl", 3, lambda _: line)
    report = verify_export(tmp_path, key, workers=1)
    assert not report.ok and report.message == "entry 3: not in the export format" and report.first_bad_index == 3


@pytest.mark.parametrize("chunk_bytes", [8 << 20, 700, 1])
def test_chunked_verification_reports_what_a_sequential_pass_does(
    ledger: SqliteLedger, signer: Signer, tmp_path: Path, chunk_bytes: int
) -> None:
    key = _export(ledger, signer, tmp_path)
    assert verify_export(tmp_path, key, workers=2, chunk_bytes=chunk_bytes).ok
    lines = (tmp_path / "entries.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "entries.jsonl").write_text("".join(lines[:6] + lines[7:]))  # entry 6 removed
    report = verify_export(tmp_path, key, workers=2, chunk_bytes=chunk_bytes)
    assert report.message == "entry 6: missing (found index 7)" and report.first_bad_index == 6


def test_an_edit_with_a_rewritten_hash_fails_against_the_signed_checkpoint(
    ledger: SqliteLedger, signer: Signer, tmp_path: Path
) -> None:

    from drr_verify.proofs import leaf_hash

    key = _export(ledger, signer, tmp_path)

    def rewrite(line: str) -> str:
        entry = json.loads(line)
        leaf = json.dumps(entry["leaf"], sort_keys=True, separators=(",", ":")).replace("police", "prison")
        return entry_line(StoredLeaf(entry["index"], leaf), leaf_hash(leaf.encode())).rstrip("\n")

    _edit_line(tmp_path / "entries.jsonl", 4, rewrite)
    report = verify_export(tmp_path, key)
    assert not report.ok and "root mismatch" in report.message and "size 9" in report.message


def test_an_edited_checkpoint_fails_its_signature(ledger: SqliteLedger, signer: Signer, tmp_path: Path) -> None:
    key = _export(ledger, signer, tmp_path)
    size = json.loads((tmp_path / "checkpoints.jsonl").read_text().splitlines()[0])["size"]
    _edit_line(tmp_path / "checkpoints.jsonl", 0, lambda line: line.replace(f"\\n{size}\\n", "\\n2\\n"))
    report = verify_export(tmp_path, key)
    assert not report.ok and "signature" in report.message


def test_the_database_itself_refuses_the_edit(ledger: SqliteLedger) -> None:
    with sqlite3.connect(ledger.path) as db, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE leaves SET leaf = '{}' WHERE idx = 0")
