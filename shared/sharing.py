"""The first sharing rule: which payload fields a role may see.

Clinical detail only to the mental-health role; intelligence only to police; the rest to every team
member. The full rules engine (policy as data) replaces this; both routing and read endpoints use it.
"""

from typing import Any

from shared.payloads import Payload
from shared.roles import Role
from shared.sensitivity import Sensitivity, sensitivity_of

RULE_ID = "skeleton-v1"
RESTRICTED: dict[Sensitivity, frozenset[Role]] = {
    Sensitivity.CLINICAL: frozenset({Role.MENTAL_HEALTH}),
    Sensitivity.INTELLIGENCE: frozenset({Role.POLICE}),
}
NOTICES: dict[Sensitivity, str] = {
    Sensitivity.CLINICAL: "Clinical information was withheld: contact the case's mental-health lead.",
    Sensitivity.INTELLIGENCE: "Police-held information exists: contact the case's police lead.",
}


def may_see(role: Role, sensitivity: Sensitivity) -> bool:
    allowed = RESTRICTED.get(sensitivity)
    return allowed is None or role in allowed


def redact(payload: Payload, role: Role) -> tuple[dict[str, Any], list[str], str | None]:
    """(fields shared with values, names of fields withheld, notice to show in their place)."""
    values = payload.model_dump(mode="json")
    shared: dict[str, Any] = {}
    withheld: list[str] = []
    notices: list[str] = []
    for name, sensitivity in sensitivity_of(type(payload)).items():
        if may_see(role, sensitivity):
            shared[name] = values[name]
        elif values[name] not in (None, [], ""):
            withheld.append(name)
            notices.append(NOTICES[sensitivity])
    return shared, withheld, " ".join(dict.fromkeys(notices)) or None
