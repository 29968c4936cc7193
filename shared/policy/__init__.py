"""The one sharing policy, as data: routing and every read endpoint decide with the same engine.

policy = load_policy()                      # policy/default.yaml, validated; PolicyError if bad
decisions = decide(event, case_state, policy)
"""

from shared.policy.case_state import CaseState, apply_access
from shared.policy.compiled import Policy
from shared.policy.deciding import Decision, Reason, decide, recipients_for
from shared.policy.loading import DEFAULT_POLICY, PolicyError, load_policy, parse_policy

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
]
