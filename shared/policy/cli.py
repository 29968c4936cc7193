"""`policy`: the tools a policy author needs (console script, see pyproject).

    policy check FILE                                 validate; list every role x event type sharing nothing
    policy explain --event EVENT.json --team TEAM.json [--policy FILE] [--state STATE.json]

TEAM.json is a list of recipients ({practitioner_id, name, email, agency, role}) or a case team
({case_manager, members}); STATE.json may add agreements and exclusions (a CaseState without the team).
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.events import parse_event
from shared.payloads import CASE_STATE_EVENTS, PAYLOADS, TEAM_EVENTS
from shared.policy.case_state import CaseState
from shared.policy.compiled import Policy
from shared.policy.deciding import decide
from shared.policy.explaining import describe
from shared.policy.loading import DEFAULT_POLICY, PolicyError, load_policy
from shared.roles import Role
from shared.team import CaseTeam


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (PolicyError, ValidationError, OSError, ValueError) as exc:
        sys.stderr.write(f"policy: {exc}\n")
        return 2


def check(args: argparse.Namespace) -> int:
    policy = load_policy(Path(args.file))
    gaps = silent_pairs(policy)
    _say(f"{args.file}: valid ({len(policy.spec.rules)} rules, {policy.hash})")
    _say(f"role x event type sharing nothing: {len(gaps)}")
    for role, event_type in gaps:
        _say(f"  {role:16} {event_type}")
    return 0


def silent_pairs(policy: Policy) -> list[tuple[Role, str]]:
    """Every (role, event type) told to the team for which the policy shares no field at all."""
    told = [e for e in PAYLOADS if e not in TEAM_EVENTS | CASE_STATE_EVENTS]
    return [(r, e) for r in Role for e in told if not policy.plan(r, e).always and not policy.plan(r, e).conditional]


def explain(args: argparse.Namespace) -> int:
    policy = load_policy(Path(args.policy))
    event = parse_event(_read(args.event))
    state = CaseState.model_validate(_read(args.state)) if args.state else CaseState()
    state = state.model_copy(update={"team": _team(_read(args.team))})
    spec = policy.spec
    _say(f"{event.event_type} for case {event.case_id}, policy {spec.policy} v{spec.version} ({policy.hash}):")
    for decision in decide(event, state, policy):
        _say(describe(decision))
    return 0


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def _team(data: Any) -> CaseTeam:
    if isinstance(data, list):
        return CaseTeam(members={m["practitioner_id"]: m for m in data})
    return CaseTeam.model_validate(data)


def _read(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policy", description="Check and explain DRR sharing policies.")
    commands = parser.add_subparsers(required=True)
    p_check = commands.add_parser("check", help="validate a policy; list role x event type sharing nothing")
    p_check.add_argument("file")
    p_check.set_defaults(run=check)
    p_explain = commands.add_parser("explain", help="what each recipient would get from an event, and why")
    p_explain.add_argument("--event", required=True, help="an event envelope (JSON)")
    p_explain.add_argument("--team", required=True, help="recipients list or case team (JSON)")
    p_explain.add_argument("--state", help="agreements and exclusions (JSON), optional")
    p_explain.add_argument("--policy", default=str(DEFAULT_POLICY))
    p_explain.set_defaults(run=explain)
    return parser


if __name__ == "__main__":
    sys.exit(main())
