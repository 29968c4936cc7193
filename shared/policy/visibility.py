"""Whether a read endpoint may admit that a case exists to someone: the same need to know and the same
exclusions that routing applies, so reading can never show what routing would not have sent.

A read endpoint answers 404 (never 403) when `visible_to` is False: a 403 would tell an excluded
practitioner, or one with no need to know, that the case exists.
"""

from shared.policy.case_state import CaseState
from shared.roles import Agency
from shared.team import roster


def visible_to(state: CaseState, practitioner_id: str, agency: Agency | str) -> bool:
    """True only for a current member of the case's team (case manager included) who is excluded
    neither by name nor by agency: the agency they act for now, or the one the team knows them by."""
    member = next((r for r in roster(state.team) if r.practitioner_id == practitioner_id), None)
    if member is None:
        return False
    return not state.is_excluded(member) and agency not in state.access.excluded_agencies
