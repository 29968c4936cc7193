"""Schemathesis against intake's own OpenAPI document, in process, with a fake publisher: whatever it
generates (valid events, broken ones, wrong keys), intake never answers 5xx and every answer conforms
to the document. Deterministic (derandomised) and small enough to run with the unit tests."""

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from intake_fakes import FakePublisher
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.cli import issue_key
from services.intake.store import SqliteStore
from shared.roles import Agency

_folder = tempfile.TemporaryDirectory(prefix="drr-schemathesis-")
STORE = SqliteStore(Path(_folder.name) / "intake.sqlite3")
_, KEY = issue_key(STORE, agency=Agency.PROBATION, system="schemathesis")
APP = create_app(IntakeSettings(rate_per_s=1e6, rate_burst=1e6), FakePublisher(), STORE, STORE, connect=False)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


def teardown_module() -> None:
    STORE.close()
    _folder.cleanup()


@schema.include(method="POST").parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_intake_honours_its_openapi_document(case: schemathesis.Case) -> None:
    # A schema-valid event can still be refused for its agency (403) or as a repeat (409): not a fault.
    excluded = [positive_data_acceptance]
    if case.path == "/v1/events:batch":  # a batch answers 200 with a result per item, invalid ones rejected
        excluded.append(negative_data_rejection)
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, excluded_checks=excluded)
