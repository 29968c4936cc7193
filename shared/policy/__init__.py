"""The one sharing policy, as data: routing and every read endpoint decide with the same engine.

policy = load_policy()                      # policy/default.yaml, validated; PolicyError if bad
decisions = decide(event, case_state, policy)
if not visible_to(case_state, practitioner_id, agency): answer 404   # every read endpoint
"""

from shared.policy.case_state import CaseState, apply_access
from shared.policy.compiled import Policy
from shared.policy.deciding import Decision, Reason, decide, recipients_for
from shared.policy.loading import DEFAULT_POLICY, PolicyError, load_policy, parse_policy
from shared.policy.visibility import visible_to

__all__ = [
    "DEFAULT_POLICY",
    "CaseState",
    "Decision",
    "Policy",
    "PolicyError",
    "Reason",
    "apply_access",
    "decide",
    "load_policy",
    "parse_policy",
    "recipients_for",
    "visible_to",
]
