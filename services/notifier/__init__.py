"""The notifier: each delivery the router decided becomes one email, now or held back; alerts nobody acts
on are chased; reminders and pauses run on one scheduler.

    app.py            build(): every part made in the order it depends on; the deliveries actor
    tables.py         every durable table;  ports.py: Topic, Send;  priorities.py, states.py, policy.py
    case_events.py    the notifier's own drr.events consumer: teams, ownership, patterns, reminders, pauses
    compliance.py     missed-appointment patterns (rules and their watcher)
    email/            templates, wording, formatting, rendering, the SMTP edge
    sending/          sender.py (the one path: ledger, state machine, retries, audit), ledger, in-order acks
    holding/          grouping, digests and pause holds: rules.py, and batches.py (their table and commands)
    schedule/         the scheduler and its kinds: chases (escalation, ownership, panel actions), reminders, pauses
    acknowledging/    signed link tokens and the acknowledgement endpoint
    command_topics.py the Faust side of a command topic (the scheduler's, the held batches')
    erasing.py        a case's erasure: every entry the notifier holds for it deleted (drr.erasures)

One critical `trigger.reported`: app.py (wire_deliveries) -> sending/sender.py -> sending/ledger.py ->
email/rendering.py -> email/smtp.py -> schedule/escalation.py (AlertWatch opens its chase).
Folders import one another through their `__init__` only (tests/unit/notifier/test_notifier_layout.py).
"""
