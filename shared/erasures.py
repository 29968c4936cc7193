"""A case's erasure: the command on drr.erasures that the router and the notifier each apply to what they
hold, and when a closed case's retention ends (the policy's `retention`, shared/policy/rules.py).

Erasure is crypto-shredding: the router writes the tombstones of the case's data key and digest key
(shared/case_crypto.py CaseKeys.erase), so every sealed copy of the case's data, on every topic, replica
and backup, becomes noise at once, and no digest of it can be confirmed against a guess again; the
services delete their table entries for the case; the audit ledger keeps its keyed digests and still
verifies, and its `case.erased` record says what was erased and under which rule.
"""

from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.policy.rules import RetentionRule

DPO_REQUEST = "dpo-request"
"""The rule named by an erasure a data protection officer asked for (`router erase`), not the calendar."""


class Erasure(BaseModel):
    """One case to erase (drr.erasures, keyed by case id)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str = Field(min_length=1, max_length=128)
    rule: str = Field(min_length=1, max_length=80)
    """The retention rule's id, or DPO_REQUEST."""
    legal_basis: str = Field(min_length=1, max_length=500)
    due_at: AwareDatetime
    requested_by: Literal["retention", "dpo"]


def due(rule: RetentionRule, case_id: str, closed_at: datetime) -> Erasure:
    """The erasure a closure schedules under `rule`."""
    at = closed_at + timedelta(days=rule.keep_days)
    return Erasure(case_id=case_id, rule=rule.id, legal_basis=rule.legal_basis, due_at=at, requested_by="retention")
