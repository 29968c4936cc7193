"""The policy file's shape: pydantic models for `policy/*.yaml`, checked against the real catalogue.

A rule may only name roles, event types and payload fields that exist, so a typo fails at start-up
instead of silently sharing nothing (or, worse, everything).
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.payloads import PAYLOADS
from shared.roles import Agency, Role
from shared.sensitivity import Sensitivity, sensitivity_of


class RuleSpec(BaseModel):
    """Allow (or deny) some roles some sensitivity classes or named fields of some event types."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)
    effect: Literal["allow", "deny"] = "allow"
    roles: list[Role] | Literal["*"]
    events: list[str] | Literal["*"] = "*"
    classes: list[Sensitivity] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list)
    purpose: str | None = None
    legal_basis: str | None = None
    agreement: str | None = None
    """An agreement id that must be in force for the case (from `sharing_agreement.updated`)."""
    consent_required: bool = False
    notice: str | None = None
    """Deny rules: shown instead of the withheld fields, naming whom to ask; else the class notice."""
    description: str | None = None

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str] | str) -> list[str] | str:
        unknown = [e for e in events if e not in PAYLOADS] if isinstance(events, list) else []
        if unknown:
            raise ValueError(f"unknown event type(s) {unknown}")
        return events

    @model_validator(mode="after")
    def _coherent(self) -> "RuleSpec":
        if not self.classes and not self.fields:
            raise ValueError(f"rule {self.id}: names neither classes nor fields")
        if self.effect == "allow" and not (self.purpose and self.legal_basis):
            raise ValueError(f"rule {self.id}: an allow rule needs a purpose and a legal_basis")
        if self.effect == "deny" and (self.agreement or self.consent_required):
            raise ValueError(f"rule {self.id}: a deny rule cannot depend on an agreement or consent")
        if self.consent_required and not self.agreement:
            raise ValueError(f"rule {self.id}: consent_required needs the agreement that records consent")
        self._check_catalogue()
        return self

    def _check_catalogue(self) -> None:
        events = list(PAYLOADS) if self.events == "*" else self.events
        known = {name for e in events for name in PAYLOADS[e].model_fields}
        missing = [f for f in self.fields if f not in known]
        if missing:
            raise ValueError(f"rule {self.id}: field(s) {missing} exist in none of its event types")

    def applies_to(self, role: Role, event_type: str) -> bool:
        return (self.roles == "*" or role in self.roles) and (self.events == "*" or event_type in self.events)

    def covers(self, field: str, sensitivity: Sensitivity) -> bool:
        return sensitivity in self.classes or field in self.fields


class Default(BaseModel):
    """What a decision names when no rule allowed a share: deny by default, on this basis."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str = "default-deny"
    legal_basis: str = Field(min_length=1)


class RetentionRule(BaseModel):
    """How long a case's data is kept after the event that ends it; then the case is erased by
    crypto-shredding (its keys destroyed: shared/case_crypto.py), which the audit ledger records."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)
    after: Literal["case.closed"] = "case.closed"
    keep_days: float = Field(gt=0)
    """Days from the event's `occurred_at`; a fraction of a day in tests."""
    legal_basis: str = Field(min_length=1)
    description: str | None = None


class PolicySpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: str = Field(min_length=1)
    version: int = Field(ge=1)
    default: Default
    notices: dict[Sensitivity, str] = Field(default_factory=dict)
    """Per class: the text shown in place of withheld fields; a class without one is removed silently."""
    definitions: dict[str, Any] = Field(default_factory=dict)
    """Free space for YAML anchors (role groups), ignored by the engine."""
    rules: list[RuleSpec] = Field(min_length=1)
    data_holders: dict[Sensitivity, Agency] = Field(default_factory=dict)
    """Per class: the agency that holds that data, the only one whose systems may record consent and
    agreements reaching it (intake enforces this; see services/intake/authority.py)."""
    retention: list[RetentionRule] = Field(default_factory=list, max_length=1)
    """When a closed case's data is erased; none: kept until a data protection officer erases it."""

    @model_validator(mode="after")
    def _unique_ids(self) -> "PolicySpec":
        ids = [r.id for r in self.rules]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"rule id(s) used twice: {repeated}")
        return self

    @model_validator(mode="after")
    def _one_holder_per_agreement(self) -> "PolicySpec":
        for agreement, classes in self.agreement_classes().items():
            holders = {self.data_holders[c] for c in classes if c in self.data_holders}
            if len(holders) > 1:
                names = sorted(h.value for h in holders)
                raise ValueError(f"agreement {agreement} reaches data held by {names}: split it")
        return self

    def agreement_classes(self) -> dict[str, frozenset[Sensitivity]]:
        """Agreement id -> the classes the rules naming it open (its named fields counted by their class)."""
        reach: dict[str, set[Sensitivity]] = {}
        for rule in self.rules:
            if rule.agreement:
                reach.setdefault(rule.agreement, set()).update(rule.classes, _classes_of(rule.fields))
        return {agreement: frozenset(classes) for agreement, classes in reach.items()}


def _classes_of(fields: list[str]) -> set[Sensitivity]:
    return {sensitivity_of(model)[name] for model in PAYLOADS.values() for name in fields if name in model.model_fields}
