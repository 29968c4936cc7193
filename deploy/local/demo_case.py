"""A realistic case history, as agency systems would publish it: used by the demo, the end-to-end
test and the benchmark. Names and addresses are invented; example.org domains never resolve.
Probation opens the case and so owns it: it keeps the team; the mental-health provider records the clinical
sharing agreement and consent (it holds that data); the prison announces the release; the panel
secretariat records the panel decision: each agency publishes what its key allows."""

from datetime import UTC, datetime, timedelta
from typing import Any

PERSON = {"identifiers": [{"type": "nomis", "value": "A1234BC"}, {"type": "pnc", "value": "2019/0012345X"}]}


def practitioner(pid: str, name: str, agency: str) -> dict[str, str]:
    email = name.lower().replace(" ", ".") + f"@{agency.replace('_', '-')}.example.org"
    return {"id": pid, "name": name, "email": email, "agency": agency}


CASE_MANAGER = practitioner("p-cm-1", "Sam Okafor", "probation")
MEMBERS = {
    "probation": practitioner("p-prob-2", "Jo Lindqvist", "probation"),
    "police": practitioner("p-pol-3", "Ana Ferreira", "police"),
    "mental_health": practitioner("p-mh-4", "Dr Lena Novak", "mental_health"),
}
FORMER_MEMBER = practitioner("p-fam-5", "Rui Costa", "family_support")
"""Joins and leaves the team before anything is shared: must receive nothing."""
COMMUNITY_WORKER = {
    **practitioner("p-com-6", "Amira Haddad", "community"),
    "language": "fr",
    "time_zone": "Europe/Paris",
}
"""A community worker (mentor, faith or youth organisation): a demo sign-in for the portal (deploy/keycloak).
French-speaking, in Paris: her emails and pages are in French, with times in Paris time (shared/i18n)."""
OVERSIGHT_USER = {"username": "olive.bennett", "name": "Olive Bennett", "email": "olive.bennett@oversight.example.org"}
"""The oversight body's demo sign-in: realm role `oversight`, no practitioner id, on no case team."""

CLINICAL_NOTES = "Reports low mood and disturbed sleep since the funeral; sertraline dose under review."
TREATMENT = "Weekly CBT sessions with the in-reach team since 2025."
MEDICATION = "Sertraline 100 mg daily."


CLINICAL_AGREEMENT = "DRR-CLINICAL-ISA"


def clinical_agreement(now: datetime, consent: str = "given", version: int = 1) -> dict[str, Any]:
    """The agreement under which the case manager may see clinical detail (policy/default.yaml), with the
    person's explicit consent: without it, clinical detail goes to the mental-health lead only."""
    return {
        "agreement_id": CLINICAL_AGREEMENT,
        "version": version,
        "parties": ["mental_health", "probation"],
        "roles": ["case_manager"],
        "purposes": ["Case management informed by treatment needs after release"],
        "legal_basis": "GDPR Art. 9(2)(a): explicit consent, recorded by the community mental-health team",
        "sensitivity_classes": ["clinical"],
        "valid_from": (now - timedelta(days=30)).date().isoformat(),
        "valid_to": (now + timedelta(days=335)).date().isoformat(),
        "consent": consent,
    }


def envelope(
    case_id: str, event_type: str, payload: dict[str, Any], agency: str = "probation", at: datetime | None = None
) -> dict[str, Any]:
    """An event as an agency system would post it."""
    return {
        "event_type": event_type,
        "occurred_at": (at or datetime.now(UTC)).isoformat(),
        "source": {"agency": agency, "system": f"{agency}-case-system"},
        "case_id": case_id,
        "person": PERSON,
        "correlation_id": f"demo-{case_id}",
        "payload": payload,
    }


def opening(case_id: str, agency: str = "probation") -> dict[str, Any]:
    """The `case.opened` that must come first: it makes the publishing agency system the case's owner,
    the only one that may then keep its team, pause or close it (services/intake/authority.py)."""
    return envelope(case_id, "case.opened", {"programme": "DRR", "referral_agency": "prison"}, agency)


def demo_history(case_id: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """The case history with the community worker on the team as well (`make run`'s demo): she reads hers
    in French. The tests' `case_history` leaves her out, so their counts stay those of four members."""
    history = case_history(case_id, now)
    joined = envelope(case_id, "team.member_joined", {"practitioner": COMMUNITY_WORKER, "role": "community"},
                      at=datetime.fromisoformat(history[0]["occurred_at"]))  # fmt: skip
    formed = 1 + max(i for i, e in enumerate(history) if e["event_type"] == "team.member_left")
    return [*history[:formed], joined, *history[formed:]]


def case_history(case_id: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Case opened, manager and team, the clinical sharing agreement, release, a trigger with clinical notes,
    a missed appointment, a panel."""
    now = now or datetime.now(UTC)
    day = timedelta(days=1)

    def event(event_type: str, agency: str, payload: dict[str, Any]) -> dict[str, Any]:
        return envelope(case_id, event_type, payload, agency, now)

    return [
        event("case.opened", "probation", {"programme": "DRR", "referral_agency": "prison"}),
        event("case_manager.assigned", "probation", {"practitioner": CASE_MANAGER}),
        *[event("team.member_joined", "probation", {"practitioner": p, "role": role}) for role, p in MEMBERS.items()],
        event("team.member_joined", "probation", {"practitioner": FORMER_MEMBER, "role": "family_support"}),
        event("team.member_left", "probation", {"practitioner_id": FORMER_MEMBER["id"]}),
        event("sharing_agreement.updated", "mental_health", clinical_agreement(now)),
        event(
            "release.scheduled",
            "prison",
            {
                "release_date": (now + 28 * day).date().isoformat(),
                "establishment": "HMP Example",
                "licence_conditions": ["Reside at approved premises", "No contact with named associates"],
                "treatment_in_custody": TREATMENT,
                "medication": MEDICATION,
                "residual_risk": "Medium; heightened around family conflict.",
            },
        ),
        event(
            "trigger.reported",
            "probation",
            {
                "trigger_type": "bereavement",
                "severity": "high",
                "observed_at": (now - day).isoformat(),
                "description": "Father died last week; withdrawn at supervision, missed mosque visit.",
                "clinical_notes": CLINICAL_NOTES,
            },
        ),
        event(
            "appointment.missed",
            "probation",
            {
                "appointment_id": f"{case_id}-appt-7",
                "appointment_type": "supervision",
                "agency": "probation",
                "scheduled_at": (now - 2 * day).isoformat(),
                "reason": "No contact; phone switched off.",
            },
        ),
        event(
            "panel.decision",
            "panel",
            {
                "panel_date": now.date().isoformat(),
                "decision": "Increase contact to twice weekly for four weeks.",
                "rationale": "Bereavement and missed supervision raise the risk of withdrawal.",
                "actions": [
                    {
                        "owner_role": "case_manager",
                        "description": "Home visit",
                        "due_date": (now + 3 * day).date().isoformat(),
                    },
                    {
                        "owner_role": "mental_health",
                        "description": "Review medication",
                        "due_date": (now + 7 * day).date().isoformat(),
                    },
                ],
                "next_review_date": (now + 28 * day).date().isoformat(),
            },
        ),
    ]
