"""The policy decision: for one event and one case, what each recipient learns and why. Pure.

`decide(event, state, policy)` gives one Decision per recipient (the team, or for a retraction or
correction exactly those who received the original): the redacted payload, the fields shared and
withheld, the rules and legal bases relied on, and a reason code when nothing is shared.

Fast because the payload is dumped once per event and everything but the values (the verdict) is
worked out once per situation and remembered by the policy (verdicts.py).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.deliveries import Recipient
from shared.events import Envelope
from shared.payloads import FOLLOW_UP_EVENTS, Consent, SharingAgreementUpdated
from shared.policy.case_state import CaseState
from shared.policy.compiled import MAX_VERDICTS, FieldPlan, Policy
from shared.policy.verdicts import ACCESS_RULE, PRIORITY, Reason, Standing, Verdict, excluded, work_out
from shared.team import roster

__all__ = ["ACCESS_RULE", "PRIORITY", "Decision", "Reason", "decide", "recipients_for"]


@dataclass(frozen=True, slots=True)
class Decision:
    recipient: Recipient
    payload: dict[str, Any]
    """Only the fields shared, with their values."""
    verdict: Verdict
    """The rest (fields shared and withheld, rule, purpose, legal basis...), shared by like decisions."""

    @property
    def shares(self) -> bool:
        return bool(self.verdict.fields_shared)

    @property
    def fields_shared(self) -> tuple[str, ...]:
        return self.verdict.fields_shared

    @property
    def fields_withheld(self) -> tuple[str, ...]:
        return self.verdict.fields_withheld

    @property
    def notice_fields(self) -> tuple[str, ...]:
        return self.verdict.notice_fields

    @property
    def notice(self) -> str | None:
        return self.verdict.notice

    @property
    def rule(self) -> str:
        return self.verdict.rule

    @property
    def policy_hash(self) -> str:
        return self.verdict.policy_hash

    @property
    def purpose(self) -> str | None:
        return self.verdict.purpose

    @property
    def legal_basis(self) -> str:
        return self.verdict.legal_basis

    @property
    def agreement(self) -> str | None:
        return self.verdict.agreement

    @property
    def reason(self) -> Reason | None:
        return self.verdict.reason

    @property
    def withheld_reasons(self) -> Mapping[str, Reason]:
        return self.verdict.withheld_reasons


def decide(event: Envelope, state: CaseState, policy: Policy) -> list[Decision]:
    values = event.payload.model_dump(mode="json")  # once per event, not per recipient
    present = frozenset([name for name, value in values.items() if _has_value(value)])
    on, event_type, access = event.occurred_at.date(), event.event_type, state.access
    barred = state.is_excluded if access.excluded_practitioner_ids or access.excluded_agencies else None
    decisions = []
    for r in recipients_for(event, state):
        if barred is not None and barred(r):
            verdict = _remembered(policy, (ACCESS_RULE,), lambda: excluded(policy))
        else:
            verdict = _verdict(policy, event_type, values, present, on, r, state.agreements)
        decisions.append(Decision(r, {name: values[name] for name in verdict.fields_shared}, verdict))
    return decisions


def recipients_for(event: Envelope, state: CaseState) -> Sequence[Recipient]:
    """The team; for a follow-up, exactly the recipients of the original event."""
    field_name = FOLLOW_UP_EVENTS.get(event.event_type)
    if field_name is None:
        return roster(state.team)
    return state.sent.get(str(getattr(event.payload, field_name)), [])


def _verdict(
    policy: Policy,
    event_type: str,
    values: dict[str, Any],
    present: frozenset[str],
    on: date,
    r: Recipient,
    agreements: dict[str, SharingAgreementUpdated],
) -> Verdict:
    plan = policy.plans[(r.role, event_type)]
    standings = tuple(_standing(fp, r, on, agreements) for fp in plan.conditional) if plan.conditional else ()
    key = (r.role, event_type, present, standings)
    return _remembered(policy, key, lambda: work_out(policy, plan, tuple(values), present, standings))


def _remembered(policy: Policy, key: tuple[Any, ...], work: Any) -> Verdict:
    found: Verdict | None = policy.verdicts.get(key)
    if found is None:
        if len(policy.verdicts) >= MAX_VERDICTS:
            policy.verdicts.clear()
        found = policy.verdicts[key] = work()
    return found


def _standing(fp: FieldPlan, r: Recipient, on: date, agreements: dict[str, SharingAgreementUpdated]) -> Standing:
    reason = Reason.AGREEMENT_MISSING
    for ground in fp.conditional:
        agreement = agreements.get(ground.agreement or "")
        if agreement is None:
            continue
        if not (agreement.valid_from <= on and (agreement.valid_to is None or on <= agreement.valid_to)):
            reason = Reason.AGREEMENT_NOT_IN_FORCE
        elif not _covers(agreement, r, fp):
            reason = Reason.AGREEMENT_DOES_NOT_COVER
        elif ground.consent_required and agreement.consent is not Consent.GIVEN:
            reason = Reason.CONSENT_NOT_GIVEN
        else:
            return ground, f"{agreement.agreement_id}@{agreement.version}"
    return reason


def _covers(agreement: SharingAgreementUpdated, r: Recipient, fp: FieldPlan) -> bool:
    return (
        r.agency in agreement.parties
        and (not agreement.roles or r.role in agreement.roles)
        and (not agreement.sensitivity_classes or fp.sensitivity in agreement.sensitivity_classes)
        and (not agreement.fields or fp.name in agreement.fields)
    )


def _has_value(value: Any) -> bool:
    return value is not None and value != [] and value != ""
