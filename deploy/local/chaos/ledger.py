"""After a run: does the audit ledger verify, and what do the audit service's completeness gauges say."""

import re
from dataclasses import dataclass
from pathlib import Path

import httpx
from drr_verify.export import verify_export
from drr_verify.notes import parse_verifier_key

from deploy.local.stack import Stack

COMPLETENESS_GAUGES = ("drr_undecided_events", "drr_unfinished_deliveries")
"""Served on the audit service's /metrics once the completeness check is in (issue 11, item 2)."""

Completeness = dict[str, float]
"""Gauge name -> value, for the gauges the audit service serves (empty while it serves none)."""


@dataclass(frozen=True)
class LedgerCheck:
    ok: bool
    message: str


def ledger_verifies(stack: Stack, folder: Path) -> LedgerCheck:
    """`audit export`, then what `drr-verify verify-export` checks: every leaf against its hash and the
    tree against every signed checkpoint."""
    stack.audit_cli("export", "--out", str(folder))
    key = parse_verifier_key((folder / "verifier_key.txt").read_text())
    report = verify_export(folder, key, workers=1)
    return LedgerCheck(report.ok, report.message)


def read_completeness(stack: Stack) -> Completeness:
    text = httpx.get(f"{stack.url('audit')}/metrics", timeout=10).text
    found: Completeness = {}
    for name in COMPLETENESS_GAUGES:
        match = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
        if match:
            found[name] = float(match.group(1))
    return found
