"""The policy decision: for one event and one case, what each recipient learns and why. Pure.

`decide(event, state, policy)` gives one Decision per recipient (the team, or for a retraction or
correction exactly those who received the original): the redacted payload, the fields shared and
withheld, the rules and legal bases relied on, and a reason code when nothing is shared.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from shared.deliveries import Recipient
from shared.events import Envelope
from shared.payloads import FOLLOW_UP_EVENTS, Consent, SharingAgreementUpdated
from shared.policy.case_state import CaseState
from shared.policy.compiled import FieldPlan, Ground, Policy

ACCESS_RULE = "case-access-restricted"


class Reason(StrEnum):
    """Why something was not shared: codes only, so audit records can carry them."""

    EXCLUDED = "excluded"
    DENIED = "denied"
    NO_RULE = "no_rule"
    AGREEMENT_MISSING = "agreement_missing"
    AGREEMENT_NOT_IN_FORCE = "agreement_not_in_force"
    AGREEMENT_DOES_NOT_COVER = "agreement_does_not_cover"
    CONSENT_NOT_GIVEN = "consent_not_given"


PRIORITY = [Reason.CONSENT_NOT_GIVEN, Reason.AGREEMENT_NOT_IN_FORCE, Reason.AGREEMENT_DOES_NOT_COVER,
            Reason.AGREEMENT_MISSING, Reason.DENIED, Reason.NO_RULE]  # fmt: skip
"""When nothing is shared, the most telling reason among the withheld fields names the decision."""


@dataclass(frozen=True, slots=True)
class Decision:
    recipient: Recipient
    payload: dict[str, Any]
    """Only the fields shared, with their values."""
    fields_shared: tuple[str, ...]
    fields_withheld: tuple[str, ...]
    """Every withheld field that held a value (for the audit trail)."""
    notice_fields: tuple[str, ...]
    """The withheld fields the recipient is told about (the others are removed without a trace)."""
    notice: str | None
    rule: str
    policy_hash: str
    purpose: str | None
    legal_basis: str
    agreement: str | None
    reason: Reason | None
    """Set when nothing is shared."""
    withheld_reasons: dict[str, Reason] = field(default_factory=dict)

    @property
    def shares(self) -> bool:
        return bool(self.fields_shared)


def decide(event: Envelope, state: CaseState, policy: Policy) -> list[Decision]:
    values = event.payload.model_dump(mode="json")
    on = event.occurred_at.date()
    return [_one(event.event_type, values, on, r, state, policy) for r in recipients_for(event, state)]


def recipients_for(event: Envelope, state: CaseState) -> list[Recipient]:
    """The team; for a follow-up, exactly the recipients of the original event."""
    field_name = FOLLOW_UP_EVENTS.get(event.event_type)
    if field_name is None:
        return state.team.recipients()
    return state.sent.get(str(getattr(event.payload, field_name)), [])


def _one(event_type: str, values: dict[str, Any], on: date, r: Recipient, state: CaseState, policy: Policy) -> Decision:
    if state.is_excluded(r):
        return _nothing(r, policy, ACCESS_RULE, Reason.EXCLUDED, {})
    plan = policy.plan(r.role, event_type)
    shared = {name: values[name] for name, _ in plan.always}
    grounds = [g for _, g in plan.always]
    withheld: dict[str, FieldPlan] = {}
    reasons: dict[str, Reason] = {}
    for fp in plan.conditional:
        ground, reason = _in_force(fp, r, on, state.agreements)
        if ground is not None:
            shared[fp.name] = values[fp.name]
            grounds.append(ground)
        elif _has_value(values[fp.name]):
            withheld[fp.name], reasons[fp.name] = fp, reason
    for fp in plan.withheld:
        if _has_value(values[fp.name]):
            withheld[fp.name], reasons[fp.name] = fp, Reason.DENIED if fp.denied_by else Reason.NO_RULE
    if not shared:
        return _nothing(r, policy, _deny_rule(withheld.values(), policy), _overall(reasons), reasons)
    if plan.conditional and len(shared) > len(plan.always):
        shared = {k: shared[k] for k in values if k in shared}  # keep the payload's own field order
    return _shared(r, policy, shared, grounds, withheld, reasons, state.agreements)


def _in_force(
    fp: FieldPlan, r: Recipient, on: date, agreements: dict[str, SharingAgreementUpdated]
) -> tuple[Ground | None, Reason]:
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
            return ground, reason
    return None, reason


def _covers(agreement: SharingAgreementUpdated, r: Recipient, fp: FieldPlan) -> bool:
    return (
        r.agency in agreement.parties
        and (not agreement.roles or r.role in agreement.roles)
        and (not agreement.sensitivity_classes or fp.sensitivity in agreement.sensitivity_classes)
        and (not agreement.fields or fp.name in agreement.fields)
    )


def _shared(
    r: Recipient,
    policy: Policy,
    shared: dict[str, Any],
    grounds: list[Ground],
    withheld: dict[str, FieldPlan],
    reasons: dict[str, Reason],
    agreements: dict[str, SharingAgreementUpdated],
) -> Decision:
    citation = policy.cite(tuple(grounds))
    cited = {g.agreement: agreements[g.agreement] for g in grounds if g.agreement is not None}.values()
    notice_fields = tuple(name for name, fp in withheld.items() if fp.notice)
    return Decision(
        recipient=r,
        payload=shared,
        fields_shared=tuple(shared),
        fields_withheld=tuple(withheld),
        notice_fields=notice_fields,
        notice=policy.notice(tuple(withheld[n].notice or "" for n in notice_fields)),
        rule=citation.rule,
        policy_hash=policy.hash,
        purpose=citation.purpose,
        legal_basis=citation.legal_basis,
        agreement=", ".join(f"{a.agreement_id}@{a.version}" for a in cited) or None,
        reason=None,
        withheld_reasons=reasons,
    )


def _nothing(r: Recipient, policy: Policy, rule: str, reason: Reason, reasons: dict[str, Reason]) -> Decision:
    return Decision(
        recipient=r,
        payload={},
        fields_shared=(),
        fields_withheld=tuple(reasons),
        notice_fields=(),
        notice=None,
        rule=rule,
        policy_hash=policy.hash,
        purpose=None,
        legal_basis=policy.spec.default.legal_basis,
        agreement=None,
        reason=reason,
        withheld_reasons=reasons,
    )


def _deny_rule(withheld: Any, policy: Policy) -> str:
    return next((fp.denied_by for fp in withheld if fp.denied_by), policy.spec.default.rule)


def _overall(reasons: dict[str, Reason]) -> Reason:
    found = set(reasons.values())
    return next((r for r in PRIORITY if r in found), Reason.NO_RULE)


def _has_value(value: Any) -> bool:
    return value is not None and value != [] and value != ""
