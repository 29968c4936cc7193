"""One realistic example payload per event type: for the contract documents, tests and templates.

Invented people and places; the clinical example is recognisable so tests can prove it stays out.
"""

from typing import Any

CLINICAL_EXAMPLE = "Sertraline 50 mg; low mood and poor sleep since the funeral."
PRACTITIONER = {"id": "p-7", "name": "Dana Ortiz", "email": "dana.ortiz@probation.example.org", "agency": "probation"}

EXAMPLES: dict[str, dict[str, Any]] = {
    "case.opened": {"programme": "DRR-North", "referral_agency": "prison"},
    "case_manager.assigned": {"practitioner": PRACTITIONER},
    "team.member_joined": {"practitioner": PRACTITIONER, "role": "probation"},
    "team.member_left": {"practitioner_id": "p-7"},
    "release.scheduled": {
        "release_date": "2026-12-01",
        "establishment": "HMP Example",
        "licence_conditions": ["Curfew 19:00-07:00", "No contact with named associates"],
        "treatment_in_custody": "Weekly CBT with the in-reach team.",
        "medication": CLINICAL_EXAMPLE,
        "residual_risk": "Medium; heightened around family conflict.",
    },
    "release.rescheduled": {
        "release_date": "2026-12-08",
        "previous_release_date": "2026-12-01",
        "reason": "Parole board",
    },
    "release.cancelled": {"previous_release_date": "2026-12-08", "reason": "Recall on new charge"},
    "trigger.reported": {
        "trigger_type": "bereavement",
        "severity": "high",
        "observed_at": "2026-11-20T14:05:00+00:00",
        "description": "Father died last week; withdrawn at supervision.",
        "clinical_notes": CLINICAL_EXAMPLE,
    },
    "appointment.missed": {
        "appointment_id": "a-1",
        "appointment_type": "probation supervision",
        "agency": "probation",
        "scheduled_at": "2026-11-21T09:30:00+01:00",
        "reason": "No contact; phone switched off.",
    },
    "appointment.attended": {
        "appointment_id": "a-2",
        "appointment_type": "mentoring session",
        "agency": "community",
        "attended_at": "2026-11-24T16:00:00+01:00",
    },
    "panel.decision": {
        "panel_date": "2026-11-18",
        "decision": "Increase contact to twice weekly",
        "rationale": "Recent bereavement and missed appointments",
        "actions": [
            {"owner_role": "mental_health", "description": "Offer grief counselling", "due_date": "2026-11-25"}
        ],
        "next_review_date": "2026-12-16",
    },
    "risk_assessment.updated": {
        "tool": "VERA-2R",
        "level": "medium",
        "summary": "Ideological commitment weakening; social isolation a concern.",
        "clinical_detail": CLINICAL_EXAMPLE,
        "intelligence_detail": "Contact attempted by a known recruiter on 2026-11-10.",
        "next_review_date": "2027-02-01",
    },
    "discharge.reported": {
        "discharging_agency": "mental_health",
        "residual_risk": "Low to medium; relapse risk around anniversaries.",
        "strategies": [{"strategy": "Weekly check-in", "service": "community mentor"}],
        "risk_of_return": "Low while housing is stable.",
        "self_management_plan": "Daily routine, gym twice weekly, call mentor when low.",
        "key_behaviours_of_concern": ["Withdrawal from family", "Renewed online contact with the network"],
        "where_to_get_help": ["GP surgery", "Community mental-health team duty line"],
        "clinical_summary": CLINICAL_EXAMPLE,
    },
    "case.transferred": {
        "to_agency": "probation",
        "to_system": "ndelius-north-east",
        "reason": "The person moved to another probation region.",
    },
    "case.closed": {"reason": "Licence ended; programme completed", "closed_on": "2027-06-30"},
    "sharing_agreement.updated": {
        "agreement_id": "DRR-CLINICAL-ISA",
        "version": 2,
        "parties": ["mental_health", "probation"],
        "roles": ["case_manager"],
        "purposes": ["continuity of care after release"],
        "legal_basis": "GDPR Art. 9(2)(h) with the individual's explicit consent",
        "sensitivity_classes": ["clinical"],
        "fields": [],
        "valid_from": "2026-11-01",
        "valid_to": "2027-10-31",
        "consent": "given",
    },
    "case.access_restricted": {
        "excluded_practitioner_ids": ["p-9"],
        "excluded_agencies": ["community"],
        "reason_code": "conflict_of_interest",
    },
    "event.retracted": {
        "retracted_event_id": "5b0e6a3c-6f1e-4a8e-9a38-1a2b3c4d5e6f",
        "reason": "Sent for the wrong case.",
    },
    "event.corrected": {
        "corrected_event_id": "5b0e6a3c-6f1e-4a8e-9a38-1a2b3c4d5e6f",
        "summary": "The appointment was on Tuesday, not Monday; a corrected event follows.",
    },
    "alerts.paused": {
        "owner": PRACTITIONER,
        "reason": "Case hand-over between probation offices this week; the new officer reviews every alert.",
        "expires_at": "2026-12-02T17:00:00+00:00",
        "pause_id": "pause-2026-11-25",
    },
    "alerts.resumed": {"reason": "Hand-over complete."},
}
