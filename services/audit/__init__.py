"""The audit service: every service's audit records, kept in an append-only, hash-chained ledger."""
