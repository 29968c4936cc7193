"""Who may say what in the ledger: the kinds of record each signing service may produce.

A valid signature proves which service sent a record; this table says whether that service may state
such a fact at all (only intake receives events, only the router decides sharing, ...), so one service's
compromised key cannot write another's facts. A kind added to AuditKind needs its producer here
(a unit test checks every kind has one).
"""

from shared.audit_records import AuditKind as K

MAY_PRODUCE: dict[str, frozenset[K]] = {
    "intake": frozenset({K.EVENT_RECEIVED, K.EVENT_REJECTED}),
    "router": frozenset({K.SHARING_DECIDED, K.TEAM_UPDATED, K.SHARING_STATE_UPDATED, K.POLICY_LOADED, K.CASE_ERASED}),
    "notifier": frozenset({
        K.EMAIL_CREATED, K.EMAIL_SENDING, K.EMAIL_SENT, K.EMAIL_FAILED, K.EMAIL_DEAD_LETTERED, K.EMAIL_HELD,
        K.ESCALATED, K.ALERT_ACKNOWLEDGED,
    }),
    "audit": frozenset({K.AUDIT_QUERIED, K.COMPLETENESS_ALARM, K.COMPLETENESS_RESOLVED, K.EVENT_REDRIVEN}),
}  # fmt: skip
