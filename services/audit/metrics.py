"""The audit service's Prometheus metrics, on the default registry that /metrics exposes."""

from prometheus_client import Counter, Gauge

APPENDED = Counter("drr_audit_entries_appended", "Audit records appended to the ledger.")
DUPLICATES = Counter("drr_audit_duplicates_skipped", "Redelivered audit records skipped because the ledger has them.")
REFUSED = Counter(
    "drr_audit_records_refused",
    "Messages on the audit topic refused (unsigned, unknown signer, bad signature, unparseable, ...), dead-lettered.",
    ["reason"],
)
CONFLICTS = Counter(
    "drr_audit_conflicting_records",
    "Records with a known id but other content: kept out of the ledger (the first stands), dead-lettered. An alarm.",
)
LEDGER_SIZE = Gauge("drr_audit_ledger_entries", "Entries in the ledger.")
UNDECIDED = Gauge("drr_undecided_events", "Accepted events with no decision past the deadline (completeness).")
UNFINISHED = Gauge("drr_unfinished_deliveries", "Deliveries with no final state past their window (completeness).")


def zero_series(reasons: list[str]) -> None:
    """Every refusal reason exported from the start at 0, so the alert's increase() sees the first one."""
    for reason in reasons:
        REFUSED.labels(reason)
