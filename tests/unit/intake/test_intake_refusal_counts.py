"""Requests refused before a key is known: the client address's bucket is asked first (a flood of bad keys
is a 429, with Retry-After, before any key is looked up), and 401s and such 429s are audited as one record
per reason and caller per window, with a count, handed out when the window ends or intake stops."""

import asyncio
import json

import httpx
import pytest
from intake_fakes import FakePublisher, bearer, trigger

from services.audit.leaves import Leaf
from services.intake.access import Refusal, TokenBuckets, authenticate
from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.cli import issue_key
from services.intake.refusal_tally import RefusalTally, flush_every
from services.intake.store import SqliteStore
from shared.audit_records import AuditKind, AuditRecord, canonical_json, canonical_text
from shared.digests import DigestKey
from shared.roles import Agency
from tests.unit.audit.signed import ADMISSION, signed

BAD = bearer("drr_000000000000_guessed-secret")
DIGESTS = DigestKey(b"k" * 32)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:  # on a minute's boundary
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited(settings: IntakeSettings) -> IntakeSettings:
    return settings.model_copy(update={"address_rate_per_s": 0.001, "address_rate_burst": 5})


async def refused_then_stopped(
    settings: IntakeSettings, publisher: FakePublisher, store: SqliteStore, headers: list[dict[str, str]]
) -> list[AuditRecord]:
    """Post a trigger with each of `headers` to a started intake, stop it, and return what it audited."""
    app = create_app(settings, publisher, store, store, connect=False, clock=Clock())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app, client=("192.0.2.7", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            for each in headers:
                assert (await client.post("/v1/events", json=trigger(), headers=each)).status_code == 401
        assert publisher.audit == []
    return publisher.audit


async def test_a_flood_of_bad_keys_is_refused_by_address_and_audited_once_per_reason_and_window(
    limited: IntakeSettings, publisher: FakePublisher, store: SqliteStore, api_keys: dict[str, str]
) -> None:
    app = create_app(limited, publisher, store, store, connect=False, clock=Clock())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app, client=("192.0.2.7", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            answers = [await client.post("/v1/events", json=trigger(), headers=BAD) for _ in range(200)]
            good = await client.post("/v1/events", json=trigger(), headers=bearer(api_keys["probation"]))
            assert publisher.audit == []  # nothing audited request by request
        other = httpx.ASGITransport(app, client=("198.51.100.9", 5000))
        async with httpx.AsyncClient(transport=other, base_url="http://intake") as client:
            elsewhere = await client.post("/v1/events", json=trigger(), headers=bearer(api_keys["probation"]))
    statuses = [a.status_code for a in answers]
    assert statuses == [401] * 5 + [429] * 195
    assert answers[-1].json()["error"] == "rate_limited" and int(answers[-1].headers["retry-after"]) >= 1
    assert good.status_code == 429  # the address is checked before the key, whatever key it brings
    assert elsewhere.status_code == 202  # another address has its own bucket
    refusals = [r for r in publisher.audit if r.kind == AuditKind.EVENT_REJECTED]
    counted = {(r.outcome, r.count) for r in refusals}
    assert counted == {("invalid_credentials", 5), ("rate_limited", 196)} and len(refusals) == 2
    assert {r.actor for r in refusals} == {
        "address:" + DigestKey.from_file(limited.digest_key_path).digest("192.0.2.7")
    }
    assert all(r.key_id is None and r.window_start is not None for r in refusals)
    assert all("192.0.2.7" not in canonical_text(r) for r in refusals)


async def test_a_known_key_with_a_wrong_secret_is_counted_by_its_key_id_and_a_claimed_id_is_not_written(
    settings: IntakeSettings, publisher: FakePublisher, store: SqliteStore, api_keys: dict[str, str]
) -> None:
    police = api_keys["police"]
    forged = police[:-4] + ("AAAA" if not police.endswith("AAAA") else "BBBB")
    records = await refused_then_stopped(settings, publisher, store, [bearer(forged), bearer(forged), BAD, {}])
    counted = sorted((r.outcome or "", r.key_id or "", r.count or 0) for r in records)
    police_id = police.split("_")[1]
    assert counted == [
        ("invalid_credentials", "", 1),
        ("invalid_credentials", police_id, 2),
        ("missing_credentials", "", 1),
    ]
    assert all("000000000000" not in canonical_text(r) for r in records)  # the id a guess claims is not written


def test_a_revoked_key_is_counted_by_its_key_id(store: SqliteStore) -> None:
    issued, key = issue_key(store, agency=Agency.PROBATION, system="old-system")
    store.revoke_key(key_id=issued.key_id)
    refusal = authenticate(f"Bearer {key}", store)
    assert isinstance(refusal, Refusal) and (refusal.reason, refusal.key_id) == ("key_revoked", issued.key_id)
    unknown = authenticate("Bearer drr_0123456789ab_secret", store)
    assert isinstance(unknown, Refusal) and unknown.key_id is None


async def test_windows_and_counts() -> None:
    tally = RefusalTally(60, DIGESTS)
    for now, reason, key_id in [(0, "invalid_credentials", "k1"), (30, "invalid_credentials", "k1"),
                                (59.9, "key_revoked", "k1"), (60, "invalid_credentials", "k1"),
                                (61, "missing_credentials", None)]:  # fmt: skip
        tally.count(reason, key_id=key_id, address="192.0.2.7", now=1_800_000_000 + now)
    assert tally.ended(1_800_000_059) == []
    first = tally.ended(1_800_000_060)
    assert {(r.outcome, r.key_id, r.count, r.window_start.timestamp()) for r in first if r.window_start} == {
        ("invalid_credentials", "k1", 2, 1_800_000_000),
        ("key_revoked", "k1", 1, 1_800_000_000),
    }
    assert tally.ended(1_800_000_060) == []  # each window is given out once
    rest = tally.all()  # the current window too, as at shutdown
    assert sorted((r.outcome, r.count, r.actor) for r in rest) == [
        ("invalid_credentials", 1, None),
        ("missing_credentials", 1, "address:" + DIGESTS.digest("192.0.2.7")),
    ]
    assert tally.all() == []


def test_past_its_bound_a_window_counts_the_other_callers_together() -> None:
    tally = RefusalTally(60, DIGESTS, max_callers=3)
    for n in range(1000):
        tally.count("invalid_credentials", key_id=None, address=f"10.0.{n // 256}.{n % 256}", now=0)
    records = tally.all()
    assert len(records) == 4 and sum(r.count or 0 for r in records) == 1000
    assert [r.count for r in records if r.actor == "address:others"] == [997]


async def test_ended_windows_are_flushed_on_a_timer() -> None:
    tally, clock, flushed = RefusalTally(60, DIGESTS), Clock(), []

    async def audit(records: list[AuditRecord]) -> None:
        flushed.extend(records)

    tally.count("invalid_credentials", key_id=None, address="192.0.2.7", now=clock.now)
    task = asyncio.create_task(flush_every(0.01, tally, clock, audit))
    await asyncio.sleep(0.05)
    assert flushed == []  # the window is still open
    clock.now += 60
    async with asyncio.timeout(2):
        while not flushed:
            await asyncio.sleep(0.01)
    task.cancel()
    assert [(r.outcome, r.count) for r in flushed] == [("invalid_credentials", 1)]


async def test_the_counts_of_the_open_window_are_audited_when_intake_stops(
    settings: IntakeSettings, publisher: FakePublisher, store: SqliteStore
) -> None:
    records = await refused_then_stopped(settings, publisher, store, [{}, {}, {}])
    assert [(r.outcome, r.count) for r in records] == [("missing_credentials", 3)]


def test_a_counted_record_is_admitted_by_the_ledger_and_other_records_keep_their_text() -> None:
    tally = RefusalTally(60, DIGESTS)
    tally.count("invalid_credentials", key_id="abc123", address="192.0.2.7", now=1_800_000_000)
    [counted] = tally.all()
    leaf = ADMISSION.leaf(signed(counted))
    assert isinstance(leaf, Leaf), leaf
    assert '"count":1' in leaf.text and '"window_start":"2027-01-15T08:00:00Z"' in leaf.text
    plain = counted.model_copy(update={"count": None, "window_start": None})
    text = canonical_text(plain)
    assert "count" not in json.loads(text) and "window_start" not in json.loads(text)
    assert text.encode() == canonical_json(plain.model_dump(mode="json"))
    assert text == canonical_text(AuditRecord.model_validate_json(text))


def test_buckets_are_bounded_and_idle_ones_are_forgotten() -> None:
    buckets = TokenBuckets(rate=1, burst=2, max_buckets=100)
    for n in range(10_000):  # a flood of new names within ten seconds
        assert buckets.take(f"10.{n}", 1, now=n / 1000) == 0
    assert len(buckets) == 100
    buckets.take("flooder", 2, now=20)
    assert buckets.take("flooder", 1, now=20) > 0  # a name kept is still limited
    for n in range(50):
        buckets.take(f"late.{n}", 1, now=1000)  # everything older has refilled: forgotten as it comes up
    assert len(buckets) == 50


def test_a_bucket_is_forgotten_only_once_full_while_under_the_bound() -> None:
    buckets = TokenBuckets(rate=1, burst=10, max_buckets=100)
    buckets.take("busy", 10, now=0)
    buckets.take("other", 1, now=5)  # "busy" has 5 of 10 tokens back: kept, and still short of 10
    assert buckets.take("busy", 10, now=5) == pytest.approx(5)
