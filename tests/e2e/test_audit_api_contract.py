"""The live audit service (real Kafka, real ledger, the `audit` CLI's tokens) against its own OpenAPI
document: schemathesis with a valid oversight token finds no server error and no answer, refusals
included, that the document does not describe. Then the doors themselves: a token scoped to one agency
sees that agency's case and gets a 404 for another's, and a revoked token is refused at once."""

import json
import uuid
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import positive_data_acceptance

from deploy.local.demo_case import opening
from deploy.local.stack import Stack
from tests.e2e.test_case_history import eventually


def _honoured(operation: APIOperation, mode: GenerationMode, token: str) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=15, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        # A schema-valid request may still be refused on what the ledger holds (sizes_out_of_range): no fault.
        headers = {"Authorization": f"Bearer {token}"}
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance], timeout=10)

    check()


def test_the_live_audit_service_honours_its_openapi_document(stack: Stack) -> None:
    """Every operation, with valid and with invalid parameters (schemathesis' positive and negative modes);
    the schema is loaded from the running service, as a client would."""
    schema = schemathesis.openapi.from_url(f"{stack.url('audit')}/openapi.json", timeout=10)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/checkpoint", "/v1/audit/entries", "/v1/proofs/consistency",
                                              "/v1/cases/{case_id}/disclosures"}  # fmt: skip
    for operation in operations:
        negative = [GenerationMode.NEGATIVE] if operation.definition.raw.get("parameters") else []
        for mode in [GenerationMode.POSITIVE, *negative]:  # nothing to make invalid where nothing is asked
            _honoured(operation, mode, stack.oversight_token)


def get(stack: Stack, path: str, token: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{stack.url('audit')}{path}", params=params, headers={"Authorization": f"Bearer {token}"})


def test_scoped_and_revoked_tokens_on_the_live_service(stack: Stack) -> None:
    case_id = f"CONTRACT-{uuid.uuid4().hex[:8]}"
    assert [r.status_code for r in stack.post_events([opening(case_id, agency="probation")])] == [202]

    def received() -> bool:
        page = get(stack, "/v1/audit/entries", stack.oversight_token, case_id=case_id, kind="event.received")
        return bool(page.json()["entries"])

    eventually(received, 60, "the case's event.received in the ledger")
    probation = stack.audit_cli("tokens", "issue", "--name", "contract-probation", "--agency", "probation").strip()
    police = stack.audit_cli("tokens", "issue", "--name", "contract-police", "--agency", "police").strip()
    mine = get(stack, f"/v1/cases/{case_id}/disclosures", probation)
    theirs = get(stack, f"/v1/cases/{case_id}/disclosures", police)
    assert mine.status_code == 200 and theirs.status_code == 404
    assert theirs.json() == {"detail": {"reason": "case_not_found"}}
    listed = get(stack, "/v1/audit/entries", police, case_id=case_id).json()["entries"]
    assert listed == [] and get(stack, "/v1/audit/entries", probation, case_id=case_id).json()["entries"]

    assert "contract-police" in stack.audit_cli("tokens", "revoke", "--name", "contract-police")
    revoked = get(stack, "/v1/checkpoint", police)
    assert revoked.status_code == 401 and revoked.json()["detail"]["reason"] == "token_revoked"
    listing = stack.audit_cli("tokens", "list")
    assert police not in listing and probation not in listing
    rows = {line.split("\t")[1]: line.split("\t") for line in listing.splitlines()[1:]}
    assert rows["contract-police"][5] != "-" and rows["contract-probation"][2] == "probation"

    def askers() -> set[str] | None:
        queried = get(stack, "/v1/audit/entries", stack.oversight_token, case_id=case_id, kind="audit.queried")
        actors = {json.loads(e["leaf"])["actor"] for e in queried.json()["entries"]}
        return actors if {"contract-probation", "contract-police"} <= actors else None

    eventually(askers, 60, "both scoped tokens' queries on the record (the 404 was a query too)")
