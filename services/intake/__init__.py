"""Intake: the HTTP door agency systems publish through; 202 only once the broker has the event.

    app.py            create_app(): the routes, and the Door (the address's rate, the key, the body, the answer)
    access.py         API keys, the lanes each agency publishes in, authentication, authorisation, rate buckets
    messages.py       the request validated; the answers (Receipt is the 202 body); every audit record intake writes
    handling.py       one request's events: authorise, claim the idempotency key, judge, publish, record
    authority.py      who may say what about a case: the rules, and RequestAuthority with its per-case locks
    store.py          SQLite: API keys, idempotency claims (Claim), the authority facts
    adapters.py       the Kafka edge: events sealed per case (Sealer) to drr.events, signed audit records to
                      drr.audit (acks=all)
    refusal_tally.py  refusals before a key is known, counted per window;  pruning.py: old claims deleted
    bootstrap.py      settings (DRR_INTAKE_*);  __main__.py: `python -m services.intake`
    cli.py            `intake keys|receipts` (and issue_key);  client.py, publish_cli.py: the agency-side client
    openapi.py, asyncapi.py, contracts.py: the contract documents in schemas/

One critical `trigger.reported`: app.py (Door.post_event) -> access.py (authenticate) -> messages.py
(validate) -> handling.py (Intake.submit) -> access.py (authorise) -> store.py (claim) -> authority.py
(judge) -> adapters.py (Sealer.sealed, publish_events) -> messages.py (received_record) -> app.py (the 202
Receipt).
The path stays in these seven modules (tests/unit/intake/test_intake_layout.py).
"""
