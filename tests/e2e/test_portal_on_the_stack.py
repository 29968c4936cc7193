"""The practitioner's inbox on the real stack: Kafka, the services, a real Keycloak and `python -m services.portal`
following the broker as its own principal. Each practitioner signs in through Keycloak's own login form (httpx
as the browser); the case manager sees the critical trigger with its clinical notes, acknowledges it with an
outcome, the notifier records it (audited with the outcome as its reason) and the escalation never comes; the
police officer's pages never show the clinical notes; a practitioner not on the team gets 404.

Its own stack (ports +40), with policy.yaml's minutes as seconds so the escalation window is 30 s."""

import json
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest

from deploy.local.demo_case import CASE_MANAGER, MEMBERS, clinical_agreement, opening
from deploy.local.keycloak import KeycloakNode
from deploy.local.mail import messages
from deploy.local.stack import Ports, Stack
from tests.e2e.conftest import OFFSET, TEST_PORTS
from tests.e2e.test_case_history import eventually
from tests.e2e.test_identity_provider import _browser, _login_form_action, _user
from tests.e2e.test_notifier_exactly_once import event

PORTS = Ports(*(port + 40 for port in TEST_PORTS.__dict__.values()))
CHAIR = {"id": "p-e2e-chair", "name": "Rae Holt", "email": "rae.holt@council.example.org", "agency": "social_care"}
CLINICAL = "Low mood since the funeral; sertraline under review (e2e)."
DESCRIPTION = "Father died; told to leave the family home."
ENV = {"DRR_NOTIFIER_ESCALATION_UNIT_S": "1", "DRR_NOTIFIER_ESCALATION_SWEEP_S": "1"}


@pytest.fixture(scope="module")
def keycloak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeycloakNode]:
    node = KeycloakNode(
        tmp_path_factory.mktemp("portal-idp") / "keycloak",
        port=19182 + OFFSET,
        management_port=19192 + OFFSET,
        portal_port=PORTS.portal,
    )
    try:
        node.start(timeout_s=300)
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, keycloak: KeycloakNode) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory.mktemp("portal"), PORTS, {**ENV, **keycloak.portal_env()}, with_portal=True)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def case_id(stack: Stack) -> str:
    case_id = f"E2E-PORTAL-{uuid.uuid4().hex[:6]}"
    trigger = {"trigger_type": "bereavement", "severity": "critical", "observed_at": "2026-12-05T08:00:00+00:00",
               "description": DESCRIPTION, "clinical_notes": CLINICAL}  # fmt: skip
    answers = stack.post_events(
        [
            opening(case_id),
            event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
            event(case_id, "team.member_joined", {"practitioner": MEMBERS["police"], "role": "police"}),
            event(case_id, "team.member_joined", {"practitioner": CHAIR, "role": "panel_chair"}),
            {**event(case_id, "sharing_agreement.updated", clinical_agreement(datetime.now(UTC))), "source": _mh()},
            event(case_id, "trigger.reported", trigger),
        ]
    )
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    return case_id


@contextmanager
def signed_in(stack: Stack, keycloak: KeycloakNode, username: str) -> Iterator[httpx.Client]:
    """A browser signed in to the portal as `username`, through the portal's redirect and Keycloak's login form."""
    with _browser() as browser:
        yield _signed_in(browser, stack, keycloak, username)


def _signed_in(browser: httpx.Client, stack: Stack, keycloak: KeycloakNode, username: str) -> httpx.Client:
    browser.base_url = httpx.URL(stack.url("portal"))
    page = browser.get("/auth/login", follow_redirects=True)
    assert page.status_code == 200 and 'name="username"' in page.text, page.text[:300]
    user = _user(keycloak, username)
    answer = browser.post(_login_form_action(page.text), data={"username": user.username, "password": user.password})
    assert answer.status_code == 302 and "/auth/callback" in answer.headers["location"], answer.text[:300]
    home = browser.get(answer.headers["location"], follow_redirects=True)
    assert home.status_code == 200 and "Your inbox" in home.text, home.text[:500]
    return browser


def test_the_case_manager_acknowledges_the_critical_trigger_and_it_never_escalates(
    stack: Stack, keycloak: KeycloakNode, case_id: str
) -> None:
    with signed_in(stack, keycloak, "sam.okafor") as browser:
        inbox = eventually(lambda: _with(browser.get("/").text, DESCRIPTION), 60, "the trigger in the inbox")
        assert isinstance(inbox, str) and CLINICAL in inbox and "badge-critical" in inbox
        [alert_id] = re.findall(r'action="/alerts/([0-9a-f-]+)/ack"', _alert_of(inbox, case_id))
        token = re.search(r'name="csrf_token" value="([^"]+)"', inbox)
        assert token is not None
        form = {"csrf_token": token.group(1), "outcome": "contacted_person", "comment": "Visited at 11:00."}
        answer = browser.post(f"/alerts/{alert_id}/ack", data=form)
        assert answer.status_code == 303 and answer.headers["location"].endswith("?acknowledged=yes"), answer.text
        page = browser.get(answer.headers["location"]).text
        assert "You acknowledged this alert: I contacted the person." in page

    records = eventually(lambda: _acknowledged(stack, case_id), 60, "the acknowledgement in the audit trail")
    assert isinstance(records, list) and [r["reason"] for r in records] == ["contacted_person"]
    assert "Visited at 11:00." not in json.dumps(records)
    time.sleep(40)  # the 30 s window, and the sweep after it
    assert not [m for m in messages(stack.maildir, case_id) if "escalated" in str(m["Subject"])]


def test_the_police_officer_never_sees_the_clinical_notes(stack: Stack, keycloak: KeycloakNode, case_id: str) -> None:
    with signed_in(stack, keycloak, "ana.ferreira") as browser:
        page = eventually(lambda: _with(browser.get(f"/cases/{case_id}").text, DESCRIPTION), 60, "the case page")
        assert isinstance(page, str) and CLINICAL not in page and "sertraline" not in page
        assert CLINICAL not in browser.get("/").text


def test_a_practitioner_not_on_the_team_gets_404(stack: Stack, keycloak: KeycloakNode, case_id: str) -> None:
    with signed_in(stack, keycloak, "dr.lena.novak") as browser:
        hidden, missing = browser.get(f"/cases/{case_id}"), browser.get("/cases/E2E-NO-SUCH-CASE")
        assert hidden.status_code == missing.status_code == 404 and hidden.text == missing.text
        assert DESCRIPTION not in browser.get("/").text
    events = httpx.get(f"{stack.url('portal')}/events")
    assert (events.status_code, events.json()["error"]) == (401, "not_signed_in")


def _with(text: str, needle: str) -> str | None:
    return text if needle in text else None


def _alert_of(page: str, case_id: str) -> str:
    cards = [card for card in re.findall(r"<article.*?</article>", page, flags=re.S) if case_id in card]
    return next(card for card in cards if "badge-critical" in card)


def _acknowledged(stack: Stack, case_id: str) -> list[dict[str, object]] | None:
    headers = {"Authorization": f"Bearer {stack.oversight_token}"}
    body = httpx.get(f"{stack.url('audit')}/v1/audit/entries", params={"case_id": case_id}, headers=headers).json()
    leaves = [json.loads(e["leaf"]) for e in body["entries"]]
    return [leaf for leaf in leaves if leaf["kind"] == "alert.acknowledged"] or None


def _mh() -> dict[str, str]:
    return {"agency": "mental_health", "system": "mental_health-case-system"}
