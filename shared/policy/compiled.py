"""A validated policy compiled into per (role, event type) plans, so deciding is a few dict lookups.

Each payload field of each event type gets, for each role, its fate worked out once at load: shared
always (and under which rule), shared if an agreement is in force, or withheld (denied or unruled).
"""

from dataclasses import dataclass, field
from typing import Any

from shared.payloads import PAYLOADS
from shared.policy.rules import PolicySpec, RuleSpec
from shared.roles import Role
from shared.sensitivity import Sensitivity, sensitivity_of


@dataclass(frozen=True, slots=True, eq=False)
class Ground:
    """An allow rule as a decision cites it."""

    rule: str
    purpose: str
    legal_basis: str
    agreement: str | None = None
    consent_required: bool = False


@dataclass(frozen=True, slots=True)
class FieldPlan:
    name: str
    sensitivity: Sensitivity
    always: Ground | None
    """The first allow rule that needs no agreement, if any."""
    conditional: tuple[Ground, ...]
    """Allow rules that need an agreement in force, in file order."""
    denied_by: str | None
    """An explicit deny rule: it beats every allow."""
    notice: str | None
    """What the recipient is told in place of this field when it is withheld (None: nothing)."""


@dataclass(frozen=True, slots=True)
class Plan:
    always: tuple[tuple[str, Ground], ...]
    conditional: tuple[FieldPlan, ...]
    withheld: tuple[FieldPlan, ...]


@dataclass(frozen=True)
class Citation:
    """What a decision cites for a set of grounds, joined once and cached (decisions repeat them)."""

    rule: str
    purpose: str
    legal_basis: str


MAX_VERDICTS = 100_000
"""Situations are few (role x event type x fields present x agreement standings); cleared if ever exceeded."""


@dataclass(frozen=True)
class Policy:
    spec: PolicySpec
    hash: str
    plans: dict[tuple[Role, str], Plan]
    _citations: dict[tuple[Ground, ...], Citation] = field(default_factory=dict, compare=False, repr=False)
    _notices: dict[tuple[str, ...], str | None] = field(default_factory=dict, compare=False, repr=False)
    verdicts: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False, repr=False)
    """Verdicts already worked out, by situation (see verdicts.py); bounded by MAX_VERDICTS."""

    def cite(self, grounds: tuple[Ground, ...]) -> Citation:
        """Rule ids, purposes and legal bases of the grounds, each once, in order."""
        found = self._citations.get(grounds)  # Ground hashes by identity: each is built once, at load
        if found is None:
            unique = list({g.rule: g for g in grounds}.values())
            found = Citation(
                rule="+".join(g.rule for g in unique),
                purpose="; ".join(dict.fromkeys(g.purpose for g in unique)),
                legal_basis="; ".join(dict.fromkeys(g.legal_basis for g in unique)),
            )
            self._citations[grounds] = found
        return found

    def notice(self, notices: tuple[str, ...]) -> str | None:
        """The notices of the withheld fields, each once, as one text."""
        if notices not in self._notices:
            self._notices[notices] = " ".join(dict.fromkeys(notices)) or None
        return self._notices[notices]

    def plan(self, role: Role, event_type: str) -> Plan:
        return self.plans[(role, event_type)]

    def field_plans(self, role: Role, event_type: str) -> list[FieldPlan]:
        plan = self.plans[(role, event_type)]
        return [*plan.conditional, *plan.withheld]


def compile_policy(spec: PolicySpec, content_hash: str) -> Policy:
    plans = {(role, event_type): _plan(spec, role, event_type) for role in Role for event_type in PAYLOADS}
    return Policy(spec=spec, hash=content_hash, plans=plans)


def _plan(spec: PolicySpec, role: Role, event_type: str) -> Plan:
    rules = [r for r in spec.rules if r.applies_to(role, event_type)]
    fields = [_field(spec, rules, name, s) for name, s in sensitivity_of(PAYLOADS[event_type]).items()]
    always = tuple((f.name, f.always) for f in fields if f.always is not None and f.denied_by is None)
    conditional = tuple(f for f in fields if f.always is None and f.conditional and f.denied_by is None)
    withheld = tuple(f for f in fields if f.denied_by is not None or (f.always is None and not f.conditional))
    return Plan(always=always, conditional=conditional, withheld=withheld)


def _field(spec: PolicySpec, rules: list[RuleSpec], name: str, sensitivity: Sensitivity) -> FieldPlan:
    covering = [r for r in rules if r.covers(name, sensitivity)]
    denies = [r for r in covering if r.effect == "deny"]
    grounds = [_ground(r) for r in covering if r.effect == "allow"]
    notices = [r.notice for r in denies if r.notice]
    return FieldPlan(
        name=name,
        sensitivity=sensitivity,
        always=next((g for g in grounds if g.agreement is None), None),
        conditional=tuple(g for g in grounds if g.agreement is not None),
        denied_by=denies[0].id if denies else None,
        notice=notices[0] if notices else spec.notices.get(sensitivity),
    )


def _ground(rule: RuleSpec) -> Ground:
    assert rule.purpose is not None and rule.legal_basis is not None  # checked by RuleSpec
    return Ground(rule.id, rule.purpose, rule.legal_basis, rule.agreement, rule.consent_required)
