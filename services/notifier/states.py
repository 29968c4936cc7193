"""The delivery state machine (after GOV.UK Notify): which state may follow which, as data.

created -> sending -> delivered
              |-> temporary_failure -> sending (retry, with backoff, while young enough)
              |                     -> dead_lettered (too many attempts or too old)
              |-> permanent_failure -> dead_lettered (5xx: another try cannot help)
              |-> technical_failure -> dead_lettered (our fault: rendering, a bug)
test_mode:  created -> sending -> delivered_test (rendered and recorded, nothing sent)
held:       created -> held (it goes out inside a grouped email, a digest or a pause's release: that
            email has states of its own; see holding.py)
"""

from enum import StrEnum


class DeliveryState(StrEnum):
    CREATED = "created"
    SENDING = "sending"
    DELIVERED = "delivered"
    DELIVERED_TEST = "delivered_test"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"
    TECHNICAL_FAILURE = "technical_failure"
    DEAD_LETTERED = "dead_lettered"
    HELD = "held"


S = DeliveryState
TRANSITIONS: dict[DeliveryState, frozenset[DeliveryState]] = {
    S.CREATED: frozenset({S.SENDING, S.TECHNICAL_FAILURE, S.HELD}),
    S.SENDING: frozenset(
        {S.DELIVERED, S.DELIVERED_TEST, S.TEMPORARY_FAILURE, S.PERMANENT_FAILURE, S.TECHNICAL_FAILURE}
    ),
    S.TEMPORARY_FAILURE: frozenset({S.SENDING, S.DEAD_LETTERED}),
    S.PERMANENT_FAILURE: frozenset({S.DEAD_LETTERED}),
    S.TECHNICAL_FAILURE: frozenset({S.DEAD_LETTERED}),
    S.DELIVERED: frozenset(),
    S.DELIVERED_TEST: frozenset(),
    S.DEAD_LETTERED: frozenset(),
    S.HELD: frozenset(),
}
FINAL = frozenset(state for state, nexts in TRANSITIONS.items() if not nexts)
"""A delivery in one of these states is never emailed again (the idempotency ledger checks this)."""


class IllegalTransition(ValueError):
    pass


def advance(current: DeliveryState, to: DeliveryState) -> DeliveryState:
    """`to`, if the machine allows it from `current`; raises otherwise (a bug, never silently accepted)."""
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(f"{current} -> {to}")
    return to
