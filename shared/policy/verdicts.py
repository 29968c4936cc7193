"""What a decision says besides who and the values: worked out once per situation, then reused.

A verdict depends only on the recipient's role, the event type, which payload fields hold a value, and,
for fields shared under an agreement, how each agreement stands for that recipient. The router sees
the same few situations over and over, so `Policy.verdict` keeps them (the hot path is a dict lookup).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from shared.policy.compiled import FieldPlan, Ground, Plan, Policy


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

ACCESS_RULE = "case-access-restricted"

Standing = tuple[Ground, str] | Reason
"""How a conditional field stands for one recipient: the ground and agreement (id@version) it is shared
under, or why it is not."""


@dataclass(frozen=True, slots=True, eq=False)
class Verdict:
    fields_shared: tuple[str, ...]
    """In the payload's own field order."""
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
    withheld_reasons: Mapping[str, Reason]


def excluded(policy: Policy) -> Verdict:
    return _nothing(policy, ACCESS_RULE, Reason.EXCLUDED, {})


def work_out(
    policy: Policy, plan: Plan, order: tuple[str, ...], present: frozenset[str], standings: tuple[Standing, ...]
) -> Verdict:
    """The verdict for a plan, given the fields holding a value (`order`: all fields, payload order)."""
    shared = {name for name, _ in plan.always}
    grounds = [g for _, g in plan.always]
    labels: list[str] = []
    withheld: dict[str, FieldPlan] = {}
    reasons: dict[str, Reason] = {}
    for fp, standing in zip(plan.conditional, standings, strict=True):
        if isinstance(standing, tuple):
            shared.add(fp.name)
            grounds.append(standing[0])
            labels.append(standing[1])
        elif fp.name in present:
            withheld[fp.name], reasons[fp.name] = fp, standing
    for fp in plan.withheld:
        if fp.name in present:
            withheld[fp.name], reasons[fp.name] = fp, Reason.DENIED if fp.denied_by else Reason.NO_RULE
    if not shared:
        return _nothing(policy, _deny_rule(withheld.values(), policy), _overall(reasons), reasons)
    fields = tuple(name for name in order if name in shared) if labels else tuple(n for n, _ in plan.always)
    return _shared(policy, fields, grounds, labels, withheld, reasons)


def _shared(
    policy: Policy,
    fields: tuple[str, ...],
    grounds: list[Ground],
    labels: list[str],
    withheld: dict[str, FieldPlan],
    reasons: dict[str, Reason],
) -> Verdict:
    citation = policy.cite(tuple(grounds))
    notice_fields = tuple(name for name, fp in withheld.items() if fp.notice)
    return Verdict(
        fields_shared=fields,
        fields_withheld=tuple(withheld),
        notice_fields=notice_fields,
        notice=policy.notice(tuple(withheld[n].notice or "" for n in notice_fields)),
        rule=citation.rule,
        policy_hash=policy.hash,
        purpose=citation.purpose,
        legal_basis=citation.legal_basis,
        agreement=", ".join(dict.fromkeys(labels)) or None,
        reason=None,
        withheld_reasons=MappingProxyType(reasons),
    )


def _nothing(policy: Policy, rule: str, reason: Reason, reasons: dict[str, Reason]) -> Verdict:
    return Verdict(
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
        withheld_reasons=MappingProxyType(reasons),
    )


def _deny_rule(withheld: Iterable[FieldPlan], policy: Policy) -> str:
    return next((fp.denied_by for fp in withheld if fp.denied_by), policy.spec.default.rule)


def _overall(reasons: dict[str, Reason]) -> Reason:
    found = set(reasons.values())
    return next((r for r in PRIORITY if r in found), Reason.NO_RULE)
