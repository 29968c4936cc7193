"""Retired: the first hard-coded sharing rule, kept as a thin shim over the policy engine for callers
that only need "what would this role see of this payload, with no agreement in force".

New code uses `shared.policy.decide`, which also knows agreements, consent, exclusions and follow-ups.
"""

from functools import cache
from typing import Any

from shared.payloads import PAYLOADS, Payload
from shared.policy import Policy, load_policy
from shared.roles import Role

RULE_ID = "default-policy"
EVENT_TYPES = {model: event_type for event_type, model in PAYLOADS.items()}


@cache
def default_policy() -> Policy:
    return load_policy()


def redact(payload: Payload, role: Role) -> tuple[dict[str, Any], list[str], str | None]:
    """(fields shared with values, names of fields withheld with a notice, the notice)."""
    plan = default_policy().plan(role, EVENT_TYPES[type(payload)])
    values = payload.model_dump(mode="json")
    shared = {name: values[name] for name, _ in plan.always}
    noticed = [fp for fp in (*plan.conditional, *plan.withheld) if fp.notice and values[fp.name] not in (None, [], "")]
    notice = " ".join(dict.fromkeys(fp.notice or "" for fp in noticed)) or None
    return {k: shared[k] for k in values if k in shared}, [fp.name for fp in noticed], notice
