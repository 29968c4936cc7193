"""Answers that a run against a healthy intake never sees are documented too: /healthz's 503 while the broker
is out of reach, Retry-After on 429 and 503, the Prometheus text type of /metrics."""

import schemathesis
from intake_fakes import FakePublisher
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.store import SqliteStore

CHECKS = [status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]


class Unreachable(FakePublisher):
    def ready(self) -> bool:
        return False


def test_a_healthz_503_conforms(settings: IntakeSettings, store: SqliteStore) -> None:
    app = create_app(settings, Unreachable(), store, store, connect=False)
    document = schemathesis.openapi.from_asgi("/openapi.json", app)
    answer = document["/healthz"]["GET"].Case().call_and_validate(checks=CHECKS)
    assert answer.status_code == 503 and answer.json() == {"status": "connecting"}


def test_retry_after_and_the_metrics_type_are_in_the_document(settings: IntakeSettings, store: SqliteStore) -> None:
    paths = create_app(settings, FakePublisher(), store, store, connect=False).openapi()["paths"]
    for path in ("/v1/events", "/v1/events:batch"):
        assert "Retry-After" in paths[path]["post"]["responses"]["429"]["headers"]
    assert "Retry-After" in paths["/v1/events"]["post"]["responses"]["503"]["headers"]
    [media] = paths["/metrics"]["get"]["responses"]["200"]["content"]
    assert media.startswith("text/plain")
