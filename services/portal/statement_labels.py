"""The words of the person's statement (statement.py): agencies, roles, kinds of information and
sensitivity classes in plain language, as gettext message ids.

`N_` only marks a text for extraction (Babel's default keywords include it); it is translated where it is
shown, with the reader's `_`. Each kind of information is said by event type, never from a payload value:
"a difficult event in your life was reported", not which event.

A delivery's purpose and legal basis are the policy's own words, joined by "; " when several rules allowed
the share: `citation` translates each part the default policy words (POLICY_WORDING) and keeps any other
text as recorded (another policy's), so a statement never misquotes a basis.
"""

from collections.abc import Callable
from functools import cache

from shared.roles import Agency, Role
from shared.sensitivity import Sensitivity


def N_(message: str) -> str:
    return message


AGENCIES: dict[Agency, str] = {
    Agency.PRISON: N_("Prison service"),
    Agency.PROBATION: N_("Probation service"),
    Agency.POLICE: N_("Police"),
    Agency.MENTAL_HEALTH: N_("Mental-health services"),
    Agency.SOCIAL_CARE: N_("Social care"),
    Agency.YOUTH_WORK: N_("Youth work"),
    Agency.COMMUNITY: N_("Community organisation"),
    Agency.FAMILY_SUPPORT: N_("Family support"),
    Agency.EXIT_PROGRAMME: N_("Exit programme"),
    Agency.PANEL: N_("Multi-agency panel"),
}

ROLES: dict[Role, str] = {
    Role.CASE_MANAGER: N_("case manager"),
    Role.PROBATION: N_("probation officer"),
    Role.PRISON: N_("prison officer"),
    Role.POLICE: N_("police officer"),
    Role.MENTAL_HEALTH: N_("mental-health worker"),
    Role.SOCIAL_CARE: N_("social worker"),
    Role.YOUTH_WORK: N_("youth worker"),
    Role.COMMUNITY: N_("community worker"),
    Role.FAMILY_SUPPORT: N_("family support worker"),
    Role.EXIT_PROGRAMME: N_("exit programme worker"),
    Role.PANEL_CHAIR: N_("panel chair"),
    Role.PANEL_MEMBER: N_("panel member"),
}

KINDS: dict[str, str] = {
    "case.opened": N_("That your case was opened"),
    "case_manager.assigned": N_("Who your case manager is"),
    "team.member_joined": N_("Who joined the team working with you"),
    "team.member_left": N_("Who left the team working with you"),
    "release.scheduled": N_("Your release date and release arrangements"),
    "release.rescheduled": N_("A change to your release date"),
    "release.cancelled": N_("That your release was cancelled"),
    "trigger.reported": N_("That a difficult event or change in your life was reported"),
    "appointment.missed": N_("An appointment you missed"),
    "appointment.attended": N_("An appointment you attended"),
    "panel.decision": N_("A decision of the multi-agency panel about your plan"),
    "risk_assessment.updated": N_("An updated risk assessment"),
    "discharge.reported": N_("A report from a service that finished working with you"),
    "case.closed": N_("That your case was closed"),
    "case.transferred": N_("That your case moved to another agency"),
    "sharing_agreement.updated": N_("An agreement on sharing information about you"),
    "case.access_restricted": N_("Who may see information about you"),
    "event.retracted": N_("That earlier information was withdrawn"),
    "event.corrected": N_("That earlier information was corrected"),
    "alerts.paused": N_("That alerts about your case were paused for a time"),
    "alerts.resumed": N_("That alerts about your case started again"),
}
OTHER_KIND = N_("Other information about your case")

CLASSES: dict[Sensitivity, str] = {
    Sensitivity.IDENTITY: N_("identifying details"),
    Sensitivity.OPERATIONAL: N_("practical details such as dates, places and appointments"),
    Sensitivity.RISK: N_("assessments of risk"),
    Sensitivity.CLINICAL: N_("health and treatment information"),
    Sensitivity.INTELLIGENCE: N_("police intelligence"),
}

FOLLOW_UPS: dict[str, str] = {
    "event.retracted": N_("This information was later withdrawn."),
    "event.corrected": N_("This information was later corrected."),
}


POLICY_WORDING = (
    N_("Coordinate the multi-agency plan: who does what, and when"),
    N_("Assess and manage the risk of harm and of re-engagement"),
    N_("Continuity of care across custody and release"),
    N_("Case management informed by treatment needs"),
    N_("Prevent and detect offending"),
    N_("GDPR Art. 6(1)(e): public task of supervising and supporting reintegration"),
    N_("GDPR Art. 6(1)(e); for police, Directive (EU) 2016/680 Art. 8"),
    N_("GDPR Art. 9(2)(h): provision of health care"),
    N_("GDPR Art. 9(2)(a) explicit consent, under the clinical information-sharing agreement"),
    N_("Directive (EU) 2016/680 Art. 8: law-enforcement processing"),
)
"""The purposes and legal bases of policy/default.yaml's allow rules, marked for the catalogues (a test
keeps this list and the policy the same)."""


@cache
def policy_texts() -> tuple[str, ...]:
    """POLICY_WORDING longest first, so that a part holding "; " itself is matched whole."""
    return tuple(sorted(POLICY_WORDING, key=len, reverse=True))


def citation(text: str | None, _: Callable[[str], str]) -> str:
    """A delivery's purpose or legal basis in the reader's language where every part is known."""
    parts = _parts(text or "", policy_texts())
    return "; ".join(_(part) for part in parts) if parts is not None else text or ""


def _parts(text: str, known: tuple[str, ...]) -> list[str] | None:
    """`text` as known parts joined by "; " (a part may hold "; " itself), or None if it is not."""
    if not text:
        return []
    for part in known:
        rest = None if not text.startswith(part) else text[len(part) :]
        if rest == "":
            return [part]
        after = _parts(rest[2:], known) if rest is not None and rest.startswith("; ") else None
        if after is not None:
            return [part, *after]
    return None
