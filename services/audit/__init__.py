"""The audit service: every service's audit records, kept in an append-only, hash-chained ledger.

    app.py, bootstrap.py, cli.py        the HTTP app and its worker; settings -> ledger, signer, consumer; `audit`
    consumer.py, ingest.py              drr.audit -> the ledger, exactly once; dead_letters.py: what is refused
    admission.py, producers.py          the ledger's door: whose signature, and what that producer may say
    leaves.py                           a record's leaf: its canonical JSON as hashed, and columns kept beside it
    store.py, tree_reads.py             SqlLedger: leaves, nodes, checkpoints, offsets (.tokens, .waits); node reads
    schema.py, database.py              the DDL, once; SQLite's and PostgreSQL's differences as a Dialect; transactions
    sqlite_store.py, postgres_store.py  each database's connections (PostgreSQL's role and `audit db-init`)
    merkle.py, checkpoints.py           RFC 6962 roots and proofs; Ed25519-signed checkpoints
    oversight.py, access.py, scopes.py  the oversight API; who may ask what; a scoped token's cases
    refusals.py, disclosures.py         the API's error bodies; the transparency record for one person
    tokens.py, token_store.py, token_commands.py  oversight bearer tokens: issued, kept as SHA-256, revoked
    records.py, queries.py              the service's own records (query, completeness, redrive); their producer
    completeness/                       rules (what must follow), tables (the waiting list), watch (alarms), redrive
    export.py, metrics.py               `audit export` for drr-verify; the Prometheus metrics

One record: drr.audit -> consumer.py (poll) -> ingest.prepare -> admission.py (signature, producer) ->
leaves.leaf_of -> ingest.sort_out (repeats skipped, conflicts dead-lettered) -> store.SqlLedger.append_sized
(leaf, hash, new nodes and the offsets after it in one transaction, the completeness waits with them) ->
consumer (when due) -> checkpoints.checkpoint_now (the root read through tree_reads, signed, stored).
"""
