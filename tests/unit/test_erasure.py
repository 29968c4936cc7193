"""A case's erasure: scheduled by the policy's retention at closure, asked for by the sweep when due,
carried out by the router (keys destroyed, tables emptied, `case.erased` recorded) and by the notifier."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from deploy.local.demo_case import case_history
from services.notifier.erasing import erase_case
from services.notifier.tables import Tables
from services.router.app import build
from services.router.bootstrap import RouterSettings
from services.router.erasing import due_now
from shared import topics
from shared.audit_records import AuditKind
from shared.erasures import Erasure, due
from shared.policy import load_policy
from shared.policy.rules import RetentionRule
from tests.case_keys_kit import memory_keys, sealed
from tests.faust_agents import fed
from tests.unit.notifier.fakes import FakeTable
from tests.unit.test_dead_letters import topic_sends  # noqa: F401  (the fixture)
from tests.unit.test_router_agent import FakeProducer

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
RULE = RetentionRule(id="case-data-after-closure", keep_days=2557, legal_basis="GDPR Art. 5(1)(e)")


def closed(case_id: str) -> dict[str, Any]:
    last = case_history(case_id)[-1]
    return {**last, "event_id": "7d9c1f0e-3b7a-4f7e-8a1e-0c2d3e4f5a6b", "event_type": "case.closed",
            "payload": {"reason": "order_completed", "closed_on": "2026-12-04"}}  # fmt: skip


def test_the_shipped_policy_keeps_a_closed_case_seven_years() -> None:
    [rule] = load_policy().spec.retention
    assert rule.after == "case.closed" and rule.keep_days == 2557 and rule.legal_basis


def test_an_erasure_is_due_its_rule_s_days_after_closure_and_asked_for_once() -> None:
    erasure = due(RULE, "C-1", NOW)
    assert erasure.due_at == NOW + timedelta(days=2557) and erasure.rule == RULE.id
    entries = [("C-1", erasure.model_dump(mode="json"))]
    assert due_now(entries, NOW + timedelta(days=2556), set()) == []
    assert due_now(entries, erasure.due_at, set()) == [erasure]
    assert due_now(entries, erasure.due_at, {"C-1"}) == []  # already asked by this worker


async def test_the_router_schedules_at_closure_and_erases_keys_tables_and_records_it(
    topic_sends: list[tuple[str, dict[str, Any]]],  # noqa: F811
) -> None:
    keys, producer = memory_keys(), FakeProducer()
    history, kept = [*case_history("C-GONE"), closed("C-GONE")], case_history("C-KEPT")
    app = build(RouterSettings(), load_policy(), producer, keys)
    async with fed(app, "services.router.app.route") as put:
        for event, raw in zip([*history, *kept], await sealed([*history, *kept], keys), strict=True):
            await put(raw, key=event["case_id"].encode())
    erasures = app.tables[topics.ERASURES_TABLE]
    scheduled = Erasure.model_validate(erasures["C-GONE"])
    assert scheduled.rule == "case-data-after-closure" and "C-KEPT" not in erasures
    async with app.agents["services.router.erasing.apply_erasures"].test_context() as erasing:  # same app, tables
        await erasing.put(scheduled.model_dump_json().encode(), key=b"C-GONE")
    assert await keys.digests.key("C-GONE") is None and keys.data is not None
    assert await keys.data.cipher("C-GONE") is None and await keys.data.cipher("C-KEPT") is not None
    for name in (topics.CASE_TEAMS_TABLE, topics.CASE_ACCESS_TABLE, topics.ERASURES_TABLE):
        assert "C-GONE" not in app.tables[name] and (name == topics.ERASURES_TABLE or "C-KEPT" in app.tables[name])
    [record] = [json.loads(kw["value"]) for topic, kw in topic_sends if topic == topics.AUDIT]
    assert record["kind"] == AuditKind.CASE_ERASED and record["case_id"] == "C-GONE"
    assert record["rule"] == "case-data-after-closure" and record["actor"] == "retention"
    assert {topics.CASE_KEYS, topics.CASE_DIGEST_KEYS, topics.CASE_TEAMS_TABLE} <= set(record["erased"])


def test_the_notifier_deletes_every_entry_it_holds_for_the_case_and_no_other() -> None:
    tables = Tables(*(FakeTable() for _ in range(8)))
    for case in ("C-GONE", "C-KEPT"):
        for table in (tables.teams, tables.compliance, tables.reminders, tables.pauses, tables.holds):
            table[case] = {"x": 1}
        tables.chases[f"alert:{case}"] = {"case_id": case}
        tables.acks[f"d-{case}"] = {"case_id": case, "comment": {"sealed": "…", "digest": "k:0"}}
    tables.emails["email:d-1"] = {"state": "delivered"}
    assert erase_case(tables, "C-GONE") == 7
    assert all("C-GONE" not in str(dict(t)) for t in (tables.teams, tables.chases, tables.acks, tables.holds))
    assert all("C-KEPT" in str(dict(t)) for t in (tables.teams, tables.chases, tables.acks, tables.holds))
    assert tables.emails == {"email:d-1": {"state": "delivered"}}
