"""Schemathesis against the running intake, on the real broker, with a valid API key: whatever it sends to
each operation intake publishes (the two POSTs, /healthz, /metrics), intake never answers 5xx, and every
answer's status, content type, headers and body are the ones its own OpenAPI document promises."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from deploy.local.stack import Stack

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


OPERATIONS = [("POST", "/v1/events"), ("POST", "/v1/events:batch"), ("GET", "/healthz"), ("GET", "/metrics")]


def test_the_document_lists_these_operations_and_no_other(stack: Stack) -> None:
    document = schemathesis.openapi.from_url(f"{stack.url('intake')}/openapi.json", wait_for_schema=30)
    listed = {(op.ok().method.upper(), op.ok().path) for op in document.get_all_operations()}
    assert listed == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_running_intake_honours_its_openapi_document(stack: Stack, method: str, path: str) -> None:
    """Hypothesis drives each operation's strategy directly: schemathesis' lazy pytest loader
    (`schemathesis.pytest.from_fixture`) does not run under pytest 9."""
    document = schemathesis.openapi.from_url(f"{stack.url('intake')}/openapi.json", wait_for_schema=30)
    key, statuses = stack.api_keys["probation"], []

    @given(case=document[path][method].as_strategy())
    @settings(max_examples=15, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    def answers_as_documented(case: schemathesis.Case) -> None:
        answer = case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS, timeout=30)
        statuses.append(answer.status_code)

    answers_as_documented()
    assert statuses and 401 not in statuses  # the key was taken: the checks saw the answers past the door
