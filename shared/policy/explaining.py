"""Decisions laid out for people: the golden tables and `policy explain` print the same table."""

from shared.policy.deciding import Decision

HEADER = ["recipient", "role", "shared", "withheld, with a notice", "withheld, no trace", "rule", "why not shared"]


def decision_rows(decisions: list[Decision]) -> list[list[str]]:
    return [_row(d) for d in decisions]


def markdown_table(decisions: list[Decision]) -> str:
    rows = [HEADER, ["---"] * len(HEADER), *decision_rows(decisions)]
    return "\n".join("| " + " | ".join(cell or " " for cell in row) + " |" for row in rows) + "\n"


def describe(decision: Decision) -> str:
    """Several lines for one recipient: what they get and why (purpose, legal basis, agreement, policy)."""
    d = decision
    r = d.recipient
    lines = [f"{r.practitioner_id} ({r.role}, {r.agency}):"]
    if d.shares:
        lines.append(f"  gets: {', '.join(d.fields_shared)}")
    else:
        lines.append(f"  gets nothing: {d.reason}")
    if d.fields_withheld:
        reasons = ", ".join(f"{name} ({d.withheld_reasons.get(name, '')})" for name in d.fields_withheld)
        lines.append(f"  withheld: {reasons}")
    if d.notice:
        lines.append(f"  told instead: {d.notice}")
    lines.append(f"  rule: {d.rule}")
    if d.purpose:
        lines.append(f"  purpose: {d.purpose}")
    lines.append(f"  legal basis: {d.legal_basis}")
    if d.agreement:
        lines.append(f"  agreement: {d.agreement}")
    return "\n".join(lines)


def _row(d: Decision) -> list[str]:
    silent = [name for name in d.fields_withheld if name not in d.notice_fields]
    return [
        d.recipient.practitioner_id,
        d.recipient.role,
        ", ".join(d.fields_shared),
        ", ".join(d.notice_fields),
        ", ".join(silent),
        d.rule,
        str(d.reason) if d.reason else ", ".join(f"{name}: {why}" for name, why in d.withheld_reasons.items()),
    ]
