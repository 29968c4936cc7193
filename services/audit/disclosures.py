"""The transparency record for one person: who received what about them, when, and on what basis.

Pure: built from the case's sharing-decision leaves. Plain HTML an information-governance officer can
hand over in a subject access request; every value is escaped.
"""

import json
from html import escape
from typing import Any


def disclosures_of(case_id: str, leaves: list[str]) -> dict[str, Any]:
    rows = []
    for text in leaves:
        record = json.loads(text)
        rows.append(
            {
                "when": record["recorded_at"],
                "event_type": record.get("event_type"),
                "event_id": record.get("event_id"),
                "recipient_agency": record.get("recipient_agency"),
                "recipient_role": record.get("recipient_role"),
                "outcome": record.get("outcome"),
                "fields_shared": sorted(record.get("field_digests") or {}),
                "fields_withheld": record.get("fields_withheld") or [],
                "rule": record.get("rule"),
                "legal_basis": record.get("legal_basis"),
                "agreement": record.get("agreement"),
            }
        )
    return {"case_id": case_id, "disclosures": rows}


COLUMNS = [
    ("when", "When (UTC)"), ("event_type", "Information"), ("recipient_agency", "Agency"),
    ("recipient_role", "Role"), ("outcome", "Outcome"), ("fields_shared", "Fields shared"),
    ("fields_withheld", "Fields withheld"), ("rule", "Rule"), ("legal_basis", "Legal basis"),
    ("agreement", "Agreement"),
]  # fmt: skip


def _cell(value: Any) -> str:
    if isinstance(value, list):
        value = ", ".join(value) or "none"
    return escape("—" if value is None else str(value))


def render_html(record: dict[str, Any]) -> str:
    head = "".join(f"<th>{escape(title)}</th>" for _, title in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row[key])}</td>" for key, _ in COLUMNS) + "</tr>" for row in record["disclosures"]
    )
    case = escape(record["case_id"])
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Disclosures for case {case}</title>'
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:4px 8px;text-align:left}</style></head><body>"
        f"<h1>Information shared about case {case}</h1>"
        "<p>Each row is one decision to share information about this person with one practitioner: which "
        "agency and role received which kind of information, when, which fields were withheld, and under "
        "which rule. The contents are not shown here; the audit ledger holds only field names and digests.</p>"
        f"<p>{len(record['disclosures'])} disclosures.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>"
    )
