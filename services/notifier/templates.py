"""The text of an alert email: who it is for, what happened, how urgent, what to do now, whom to ask.

Pure, and built from the delivery alone: the router already removed what this recipient may not see,
so a withheld value cannot reach the email. Withheld fields are named (with the notice saying whom to
ask), never shown. Wording is data (the dicts below); the functions only lay it out.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.deliveries import Delivery

TITLES: dict[str, str] = {
    "case.opened": "Case opened",
    "case_manager.assigned": "Case manager assigned",
    "team.member_joined": "Team member joined",
    "team.member_left": "Team member left",
    "release.scheduled": "Release scheduled",
    "release.rescheduled": "Release rescheduled",
    "release.cancelled": "Release cancelled",
    "appointment.attended": "Appointment attended",
    "risk_assessment.updated": "Risk assessment updated",
    "discharge.reported": "Discharge report",
    "case.closed": "Case closed",
    "trigger.reported": "Trigger reported",
    "appointment.missed": "Appointment missed",
    "panel.decision": "Panel decision",
    "sharing_agreement.updated": "Sharing agreement updated",
    "case.access_restricted": "Case access restricted",
    "event.retracted": "Earlier notification retracted",
    "event.corrected": "Earlier notification corrected",
}
NEXT_STEPS: dict[str, str] = {
    "case.opened": "Read the referral and agree with the team who does what.",
    "case_manager.assigned": "Note who now owns the case and hand over anything still open to them.",
    "team.member_joined": "Welcome the new member and share the current plan with them.",
    "team.member_left": "Make sure every action they owned has a new owner.",
    "release.scheduled": "Check that supervision, housing and continued treatment are in place for release.",
    "release.rescheduled": "Move your release preparations to the new date and tell the team if that is a problem.",
    "release.cancelled": "Stand down release preparations; the case manager will confirm next steps.",
    "appointment.attended": "No action needed; note the attendance in your records.",
    "risk_assessment.updated": "Read the new assessment and check your part of the plan still fits the risk.",
    "discharge.reported": "Take on the strategies your service carries and note where the person can get help.",
    "case.closed": "Close your part of the case and hand anything still open to the case manager.",
    "trigger.reported": "Contact the person within a day, inform the team and watch for withdrawal.",
    "appointment.missed": "Contact the person to rearrange, and tell the case manager if misses repeat.",
    "panel.decision": "Carry out the actions your role owns by their due dates.",
    "sharing_agreement.updated": "Note what may now be shared with whom, and on which basis.",
    "case.access_restricted": "Share nothing about this case with the excluded practitioners or agencies.",
    "event.retracted": "Disregard the earlier notification named below and remove it from your records.",
    "event.corrected": "Update your records: the earlier notification named below was partly wrong.",
}
DEFAULT_NEXT_STEP = "Read the details and contact the case manager if anything is unclear."
URGENCY: dict[str, str] = {
    "release.scheduled": "ACTION NEEDED",
    "release.rescheduled": "ACTION NEEDED",
    "release.cancelled": "ACTION NEEDED",
    "risk_assessment.updated": "ACTION NEEDED",
    "discharge.reported": "ACTION NEEDED",
    "appointment.missed": "ACTION NEEDED",
    "panel.decision": "ACTION NEEDED",
}  # used when the payload carries no severity of its own
DEFAULT_URGENCY = "FOR INFORMATION"
CODE_FIELDS = frozenset({"trigger_type", "severity", "agency", "referral_agency", "role", "owner_role"})
"""Fields whose values are codes, shown as words ("community_rejection" -> "community rejection")."""


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def render(delivery: Delivery) -> Email:
    return Email(subject=subject(delivery), body="\n".join(_body(delivery)) + "\n")


def subject(delivery: Delivery) -> str:
    """e.g. `[DRR case C-123] Trigger reported: bereavement (HIGH)`: which case, what, how urgent."""
    payload = delivery.payload
    detail = f": {_words(payload['trigger_type'])}" if payload.get("trigger_type") else ""
    severity = payload.get("severity")
    urgency = str(severity).upper() if severity else URGENCY.get(delivery.event_type, DEFAULT_URGENCY)
    text = f"[DRR case {delivery.case_id}] {title(delivery.event_type)}{detail} ({urgency})"
    return " ".join(text.split())  # a header must stay on one line whatever the delivery holds


def title(event_type: str) -> str:
    return TITLES.get(event_type) or _words(event_type.replace(".", " ")).capitalize()


def _body(d: Delivery) -> list[str]:
    r = d.recipient
    return [
        f"For: {r.name}, {_words(r.role)} on the team of DRR case {d.case_id} ({_words(r.agency)} agency).",
        "",
        f"What happened: {title(d.event_type)}, on {_when(d.occurred_at)}.",
        "",
        "Person:",
        *_indented(_person(d.person)),
        "",
        "Shared with you:",
        *_indented(_fields(d.payload) or ["(nothing)"]),
        *_withheld(d),
        "",
        f"What to do now: {NEXT_STEPS.get(d.event_type, DEFAULT_NEXT_STEP)}",
        *_why(d),
        "",
        f"Reference: delivery {d.delivery_id}, event {d.event_id}, sharing rule {d.rule}.",
    ]


def _person(person: dict[str, Any]) -> list[str]:
    identifiers = person.get("identifiers")
    if not isinstance(identifiers, list):
        return _fields(person)
    pairs = [(i.get("type", "identifier"), i.get("value")) for i in identifiers if isinstance(i, dict)]
    return [f"{_words(kind)}: {value}" for kind, value in pairs]


def _fields(values: dict[str, Any]) -> list[str]:
    return [line for name, value in values.items() for line in _field(name, value)]


def _field(name: str, value: Any) -> list[str]:
    label = _words(name).capitalize()
    if not isinstance(value, list):
        return [f"{label}: {_value(name, value)}"]
    if not value:
        return [f"{label}: none"]
    return [f"{label}:", *(f"  - {_value(name, item)}" for item in value)]


def _value(name: str, value: Any) -> str:
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return _mapping(value)
    if name.endswith("_at") and isinstance(value, str):
        return _when(value)
    return _words(value) if name in CODE_FIELDS else str(value)


def _mapping(value: dict[str, Any]) -> str:
    if {"owner_role", "description", "due_date"} <= value.keys():  # a panel action
        return f"{_words(value['owner_role'])}: {value['description']} (due {value['due_date']})"
    return ", ".join(f"{_words(k).capitalize()}: {_value(k, v)}" for k, v in value.items())


def _withheld(d: Delivery) -> list[str]:
    if not d.fields_withheld:
        return []
    notice = d.withheld_notice or "Some information was withheld: ask the case manager."
    return ["", f"Withheld from you: {notice}", f"Fields withheld: {', '.join(d.fields_withheld)}"]


def _why(d: Delivery) -> list[str]:
    """Transparency: why this recipient is told, on which legal basis and agreement."""
    if not d.purpose:
        return []
    under = f", under agreement {d.agreement}" if d.agreement else ""
    return ["", f"Why you are told: {d.purpose} ({d.legal_basis}{under})."]


def _when(value: datetime | str) -> str:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _words(code: object) -> str:
    return str(code).replace("_", " ")


def _indented(lines: list[str]) -> list[str]:
    return ["  " + line for line in lines]
