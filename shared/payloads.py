"""Payload models, one per event type; every field names its sensitivity class (see sensitivity.py)."""

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field
from pydantic_core import PydanticCustomError

from shared.bounds import Day, Moment, Version
from shared.roles import Agency, Role
from shared.sensitivity import Sensitivity, classed

IDENTITY, OPERATIONAL, RISK = Sensitivity.IDENTITY, Sensitivity.OPERATIONAL, Sensitivity.RISK
CLINICAL, INTELLIGENCE = Sensitivity.CLINICAL, Sensitivity.INTELLIGENCE


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def check_timing(self, occurred_at: datetime) -> None:
        """Called by the envelope: a payload whose times must fit the event's own (a pause's expiry) raises
        a PydanticCustomError with a machine-readable type; most payloads have nothing to check."""


LANGUAGE_TAG = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$"
"""A BCP 47 language tag ("fr", "nl-BE"): any is accepted, the reader gets the nearest one served (shared/i18n)."""
TIME_ZONE_NAME = r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$"
"""An IANA time zone name ("Europe/Paris"): by its form only, so a zone one host's data lacks cannot refuse
a team event; a zone the reader's host does not know reads as UTC."""


class Practitioner(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    email: EmailStr
    agency: Agency
    language: str | None = Field(default=None, max_length=35, pattern=LANGUAGE_TAG)
    """The language this practitioner reads emails and pages in; absent: their agency's default."""
    time_zone: str | None = Field(default=None, max_length=64, pattern=TIME_ZONE_NAME)
    """Where they read: dates are shown in this IANA zone; absent: their agency's default, else UTC."""


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class TriggerType(StrEnum):
    BEREAVEMENT = "bereavement"
    COMMUNITY_REJECTION = "community_rejection"
    MENTAL_HEALTH_DETERIORATION = "mental_health_deterioration"
    RELATIONSHIP_BREAKDOWN = "relationship_breakdown"
    LOSS_OF_WORK_OR_HOUSING = "loss_of_work_or_housing"
    CONTACT_WITH_EXTREMIST_NETWORK = "contact_with_extremist_network"
    SUBSTANCE_USE = "substance_use"
    OTHER = "other"


class CaseOpened(Payload):
    programme: str = classed(OPERATIONAL, min_length=1)
    referral_agency: Agency = classed(OPERATIONAL)


class CaseManagerAssigned(Payload):
    practitioner: Practitioner = classed(IDENTITY)


class TeamMemberJoined(Payload):
    practitioner: Practitioner = classed(IDENTITY)
    role: Role = classed(OPERATIONAL)


class TeamMemberLeft(Payload):
    practitioner_id: str = classed(IDENTITY, min_length=1)


class ReleaseScheduled(Payload):
    release_date: Day = classed(OPERATIONAL)
    establishment: str = classed(OPERATIONAL, min_length=1)
    licence_conditions: list[str] = classed(OPERATIONAL, default_factory=list)
    treatment_in_custody: str | None = classed(CLINICAL, default=None)
    medication: str | None = classed(CLINICAL, default=None)
    residual_risk: str | None = classed(RISK, default=None)


class ReleaseRescheduled(Payload):
    release_date: Day = classed(OPERATIONAL)
    previous_release_date: Day | None = classed(OPERATIONAL, default=None)
    reason: str | None = classed(OPERATIONAL, default=None)


class ReleaseCancelled(Payload):
    previous_release_date: Day | None = classed(OPERATIONAL, default=None)
    reason: str | None = classed(OPERATIONAL, default=None)


class TriggerReported(Payload):
    trigger_type: TriggerType = classed(OPERATIONAL)
    severity: Severity = classed(OPERATIONAL)
    observed_at: Moment = classed(OPERATIONAL)
    description: str = classed(RISK, min_length=1)
    clinical_notes: str | None = classed(CLINICAL, default=None)


class AppointmentMissed(Payload):
    appointment_id: str = classed(OPERATIONAL, min_length=1)
    appointment_type: str = classed(OPERATIONAL, min_length=1)
    agency: Agency = classed(OPERATIONAL)
    scheduled_at: Moment = classed(OPERATIONAL)
    reason: str | None = classed(OPERATIONAL, default=None)


class AppointmentAttended(Payload):
    appointment_id: str = classed(OPERATIONAL, min_length=1)
    appointment_type: str = classed(OPERATIONAL, min_length=1)
    agency: Agency = classed(OPERATIONAL)
    attended_at: Moment = classed(OPERATIONAL)


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very_high"


class RiskAssessmentUpdated(Payload):
    tool: str = classed(OPERATIONAL, min_length=1)
    """The structured instrument used, e.g. VERA-2R, ERG22+."""
    level: RiskLevel = classed(RISK)
    summary: str = classed(RISK, min_length=1)
    clinical_detail: str | None = classed(CLINICAL, default=None)
    intelligence_detail: str | None = classed(INTELLIGENCE, default=None)
    next_review_date: Day | None = classed(OPERATIONAL, default=None)


class Strategy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str = Field(min_length=1)
    service: str = Field(min_length=1)
    """Who carries the strategy on after discharge."""


class DischargeReported(Payload):
    """The structured discharge report the paper asks for when a service hands a person on."""

    discharging_agency: Agency = classed(OPERATIONAL)
    residual_risk: str = classed(RISK, min_length=1)
    strategies: list[Strategy] = classed(OPERATIONAL, default_factory=list)
    risk_of_return: str | None = classed(RISK, default=None)
    self_management_plan: str | None = classed(OPERATIONAL, default=None)
    key_behaviours_of_concern: list[str] = classed(RISK, default_factory=list)
    where_to_get_help: list[str] = classed(OPERATIONAL, default_factory=list)
    clinical_summary: str | None = classed(CLINICAL, default=None)


class CaseTransferred(Payload):
    """The case now belongs to another agency system: only it may keep the team, pause or close the case.
    Published by the current owner; `to_system` is the system name on the new owner's API keys."""

    to_agency: Agency = classed(OPERATIONAL)
    to_system: str = classed(OPERATIONAL, min_length=1, max_length=100)
    reason: str = classed(OPERATIONAL, min_length=1, max_length=500)
    """Operational free text ("moved to another probation region"): no clinical, risk or intelligence detail."""


class CaseClosed(Payload):
    reason: str = classed(OPERATIONAL, min_length=1)
    closed_on: Day = classed(OPERATIONAL)


class PanelAction(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    owner_role: Role
    description: str = Field(min_length=1)
    due_date: Day


class PanelDecision(Payload):
    panel_date: Day = classed(OPERATIONAL)
    decision: str = classed(OPERATIONAL, min_length=1)
    rationale: str = classed(RISK, min_length=1)
    actions: list[PanelAction] = classed(OPERATIONAL, default_factory=list)
    next_review_date: Day | None = classed(OPERATIONAL, default=None)


class Consent(StrEnum):
    """The individual's consent to a share that needs it; `not_required` where another basis applies."""

    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    NOT_REQUIRED = "not_required"


class SharingAgreementUpdated(Payload):
    """An information-sharing agreement as now in force for this case (replaces any earlier version)."""

    agreement_id: str = classed(OPERATIONAL, min_length=1, max_length=100)
    version: Version = classed(OPERATIONAL)
    parties: list[Agency] = classed(OPERATIONAL, min_length=1)
    roles: list[Role] = classed(OPERATIONAL, default_factory=list)
    """Roles it lets receive information; empty means every role of the parties' agencies."""
    purposes: list[str] = classed(OPERATIONAL, min_length=1)
    legal_basis: str = classed(OPERATIONAL, min_length=1)
    sensitivity_classes: list[Sensitivity] = classed(OPERATIONAL, default_factory=list)
    fields: list[str] = classed(OPERATIONAL, default_factory=list)
    valid_from: Day = classed(OPERATIONAL)
    valid_to: Day | None = classed(OPERATIONAL, default=None)
    consent: Consent = classed(OPERATIONAL, default=Consent.NOT_REQUIRED)


class CaseAccessRestricted(Payload):
    """Who may learn nothing about this case, as now in force (an empty list lifts a restriction)."""

    excluded_practitioner_ids: list[str] = classed(IDENTITY, default_factory=list)
    excluded_agencies: list[Agency] = classed(OPERATIONAL, default_factory=list)
    reason_code: str | None = classed(OPERATIONAL, default=None, max_length=100)


class EventRetracted(Payload):
    """An earlier event was wrong and must be disregarded; goes exactly to those who received it."""

    retracted_event_id: UUID = classed(OPERATIONAL)
    reason: str = classed(OPERATIONAL, min_length=1)


class EventCorrected(Payload):
    """An earlier event was partly wrong; the corrected facts follow as a new event of their own."""

    corrected_event_id: UUID = classed(OPERATIONAL)
    summary: str = classed(OPERATIONAL, min_length=1)
    """What changed, in words that carry no clinical or intelligence detail."""


MAX_PAUSE = timedelta(days=30)
"""The longest a case's alerts may be paused: a longer silence needs a new, deliberate pause."""


class AlertsPaused(Payload):
    """A case-level pause: non-critical alerts for the case are held back until `expires_at` (critical ones
    still go out), and `owner` answers for it and is reminded before it ends. A new pause replaces the one
    before; `alerts.resumed` or `case.closed` lifts it. `reason` is operational free text read by the case
    manager and the panel chair ("team hand-over this week"): it must carry no clinical, risk or
    intelligence detail."""

    owner: Practitioner = classed(IDENTITY)
    reason: str = classed(OPERATIONAL, min_length=1, max_length=500)
    expires_at: Moment = classed(OPERATIONAL)
    pause_id: str | None = classed(OPERATIONAL, default=None, min_length=1, max_length=100)
    """The publisher's own id for the pause; the event id stands in when it is not given."""

    def check_timing(self, occurred_at: datetime) -> None:
        if self.expires_at <= occurred_at:
            raise PydanticCustomError("pause_expiry_not_in_future", "expires_at must be after occurred_at")
        if self.expires_at - occurred_at > MAX_PAUSE:
            message = "expires_at must be at most {days} days after occurred_at"
            raise PydanticCustomError("pause_too_long", message, {"days": MAX_PAUSE.days})


class AlertsResumed(Payload):
    """The case's pause is lifted before its expiry: held alerts go out and new ones go at once."""

    reason: str = classed(OPERATIONAL, min_length=1, max_length=500)
    """Operational free text, like a pause's reason: no clinical, risk or intelligence detail."""


PAYLOADS: dict[str, type[Payload]] = {
    "case.opened": CaseOpened,
    "case_manager.assigned": CaseManagerAssigned,
    "team.member_joined": TeamMemberJoined,
    "team.member_left": TeamMemberLeft,
    "release.scheduled": ReleaseScheduled,
    "release.rescheduled": ReleaseRescheduled,
    "release.cancelled": ReleaseCancelled,
    "trigger.reported": TriggerReported,
    "appointment.missed": AppointmentMissed,
    "appointment.attended": AppointmentAttended,
    "panel.decision": PanelDecision,
    "risk_assessment.updated": RiskAssessmentUpdated,
    "discharge.reported": DischargeReported,
    "case.closed": CaseClosed,
    "case.transferred": CaseTransferred,
    "sharing_agreement.updated": SharingAgreementUpdated,
    "case.access_restricted": CaseAccessRestricted,
    "event.retracted": EventRetracted,
    "event.corrected": EventCorrected,
    "alerts.paused": AlertsPaused,
    "alerts.resumed": AlertsResumed,
}
"""The event catalogue: event type -> payload model. Names are `noun.past_participle`."""

TEAM_EVENTS = frozenset({"case_manager.assigned", "team.member_joined", "team.member_left"})
"""Events that change who is on a case team rather than telling the team something."""

CASE_STATE_EVENTS = frozenset({"sharing_agreement.updated", "case.access_restricted"})
"""Events that change who may learn what on a case (agreements, consent, exclusions), not told to the team."""

FOLLOW_UP_EVENTS: dict[str, str] = {"event.retracted": "retracted_event_id", "event.corrected": "corrected_event_id"}
"""Follow-ups to an earlier event -> the payload field naming it: they go to its recipients only."""

PAUSE_EVENTS = frozenset({"alerts.paused", "alerts.resumed"})
"""Events that change whether a case's non-critical alerts are held back (the notifier folds them); told
to the case manager and the panel chair, and never themselves held back by a pause."""
