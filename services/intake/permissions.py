"""Which event types each agency may publish by default: data, checked at start-up.

A key carries its own list of event-type patterns (an exact type, or `noun.*`); when issued without
one it gets its agency's defaults from this table. The lanes follow the paper's "stay in lanes":
the prison announces releases, the panel secretariat records panel decisions, probation (the
case-owning agency, where the case manager sits) opens and closes cases and keeps the team, and any
team agency reports what it sees (triggers, attendance, risk assessments, discharge reports).
"""

from fnmatch import fnmatchcase

from shared.payloads import PAYLOADS
from shared.roles import Agency

OBSERVATIONS = (
    "trigger.reported",
    "appointment.missed",
    "appointment.attended",
    "risk_assessment.updated",
    "discharge.reported",
)
"""What any team agency may report about a person it works with."""
PAUSES = ("alerts.paused", "alerts.resumed")
"""Holding back (and lifting the hold on) a case's non-critical alerts: the case owner and the panel."""
CASE_OWNERSHIP = (
    "case.opened",
    "case.transferred",
    "case_manager.assigned",
    "team.*",
    "case.closed",
    "sharing_agreement.updated",
    "case.access_restricted",
)
"""The case-owning agency keeps the team, the sharing agreements and who is kept out of the case. Lanes only:
which case a key may act on, and which agreements, is authority.py's (the case owner; the data holder)."""
CORRECTIONS = ("event.*",)
"""Any agency may retract or correct what it published (authority.py: only what it published)."""

DEFAULT_PERMISSIONS: dict[Agency, tuple[str, ...]] = {
    Agency.PRISON: ("release.*", *OBSERVATIONS, *CORRECTIONS),
    Agency.PROBATION: (*CASE_OWNERSHIP, *OBSERVATIONS, *CORRECTIONS, *PAUSES),
    Agency.POLICE: (*OBSERVATIONS, *CORRECTIONS, "sharing_agreement.updated"),  # records intelligence agreements
    Agency.MENTAL_HEALTH: (*OBSERVATIONS, *CORRECTIONS, "sharing_agreement.updated"),  # records clinical consent
    Agency.SOCIAL_CARE: (*OBSERVATIONS, *CORRECTIONS),
    Agency.YOUTH_WORK: (*OBSERVATIONS, *CORRECTIONS),
    Agency.COMMUNITY: (*OBSERVATIONS, *CORRECTIONS),
    Agency.FAMILY_SUPPORT: (*OBSERVATIONS, *CORRECTIONS),
    Agency.EXIT_PROGRAMME: (*OBSERVATIONS, *CORRECTIONS),
    Agency.PANEL: ("panel.decision", *CORRECTIONS, *PAUSES),
}


def allows(patterns: tuple[str, ...] | list[str], event_type: str) -> bool:
    return any(fnmatchcase(event_type, pattern) for pattern in patterns)


def check_patterns(patterns: tuple[str, ...] | list[str]) -> None:
    """Refuse a pattern that matches no event type in the catalogue: it is a typo, not a permission."""
    for pattern in patterns:
        if not any(allows((pattern,), event_type) for event_type in PAYLOADS):
            raise ValueError(f"event-type pattern {pattern!r} matches no event type")


def check_table(table: dict[Agency, tuple[str, ...]] = DEFAULT_PERMISSIONS) -> None:
    """Run at start-up: every agency has an entry and every pattern names real event types."""
    missing = set(Agency) - set(table)
    if missing:
        raise ValueError(f"no default permissions for {sorted(missing)}")
    for patterns in table.values():
        check_patterns(patterns)
