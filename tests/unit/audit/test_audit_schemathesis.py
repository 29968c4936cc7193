"""Schemathesis against the audit service's own OpenAPI document, in process, over a real ledger file
with a valid oversight token: whatever it asks (dates at the ends of time, unknown sizes, odd case ids),
no answer is a 5xx and every answer, refusals included, is what the document says. The live service gets
the same treatment in tests/e2e/test_audit_api_contract.py."""

import tempfile
from pathlib import Path
from uuid import uuid4

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from services.audit.app import create_app
from services.audit.checkpoints import Signer, checkpoint_now
from services.audit.leaves import leaf_of
from services.audit.sqlite_store import SqliteLedger
from services.audit.tokens import issue
from shared.audit_records import AuditKind, AuditRecord

ORIGIN = "schemathesis.test/audit"
_folder = tempfile.TemporaryDirectory(prefix="drr-audit-schemathesis-")
LEDGER = SqliteLedger.open(Path(_folder.name) / "audit.sqlite3")
LEDGER.append([leaf_of(AuditRecord(record_id=uuid4(), kind=AuditKind.EMAIL_SENT, service="t", case_id="a"))])
SIGNER = Signer.from_file(Path(_folder.name) / "signing.pem", ORIGIN)
checkpoint_now(LEDGER, SIGNER, ORIGIN)
TOKEN = issue(LEDGER, "schemathesis")


class DirectQueryLog:
    async def record(self, *, record: AuditRecord) -> None:
        LEDGER.append([leaf_of(record)])


APP = create_app(LEDGER, DirectQueryLog(), SIGNER.verifier_key)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


def teardown_module() -> None:
    LEDGER.close()
    _folder.cleanup()


@schema.parametrize()
@settings(max_examples=30, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_audit_honours_its_openapi_document(case: schemathesis.Case) -> None:
    # A schema-valid request can still be refused on what the ledger holds (sizes_out_of_range): no fault.
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, excluded_checks=[positive_data_acceptance])
