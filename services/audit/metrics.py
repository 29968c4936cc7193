"""The audit service's Prometheus metrics, on the default registry that /metrics exposes."""

from prometheus_client import Counter, Gauge

APPENDED = Counter("drr_audit_entries_appended", "Audit records appended to the ledger.")
DUPLICATES = Counter("drr_audit_duplicates_skipped", "Redelivered audit records skipped because the ledger has them.")
UNPARSEABLE = Counter("drr_audit_unparseable_records", "Messages on the audit topic that are not records.")
LEDGER_SIZE = Gauge("drr_audit_ledger_entries", "Entries in the ledger.")
UNDECIDED = Gauge("drr_undecided_events", "Accepted events with no decision past the deadline (completeness).")
UNFINISHED = Gauge("drr_unfinished_deliveries", "Deliveries with no final state past their window (completeness).")
