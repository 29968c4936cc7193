"""The practitioners' inbox in a real browser, on the real stack: headless Chromium, Keycloak with the drr realm,
the broker and every service, the portal following the broker. A case with a critical trigger (with clinical
notes the mental-health agreement lets the case manager read) is posted through intake as agency systems would.

- the case manager signs in, sees the trigger in her inbox, acknowledges it with an outcome, and the escalation
  (30 s here: policy.yaml's minutes as seconds) never comes;
- the police officer's case page and inbox never show the clinical notes;
- a practitioner who is not on the team gets 404 for the case, the same page as for a case that does not exist;
- the French-speaking community worker reads her inbox, and her email, in French;
- axe finds no violation on any page, and each page is photographed to var/screenshots/.
"""

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from deploy.local.demo_case import CASE_MANAGER, COMMUNITY_WORKER, MEMBERS, clinical_agreement, envelope, opening
from deploy.local.keycloak import KeycloakNode
from deploy.local.mail import messages, text_of
from shared.i18n.templates import translate
from tests.browser.axe import assert_accessible
from tests.browser.portal_node import PortalProcess
from tests.browser.shots import screenshot
from tests.browser.test_browser_signin import sign_in

CLINICAL = "Low mood since the funeral; sertraline under review (browser)."
DESCRIPTION = "Father died; told to leave the family home (browser)."
CHAIR = {"id": "p-br-chair", "name": "Rae Holt", "email": "rae.holt@council.example.org", "agency": "social_care"}


def _event(case_id: str, event_type: str, payload: dict[str, object], agency: str = "probation") -> dict[str, object]:
    return envelope(case_id, event_type, payload, agency)


@pytest.fixture(scope="module")
def case_id(portal: PortalProcess) -> str:
    assert portal.stack is not None
    case_id = f"BR-{uuid.uuid4().hex[:6].upper()}"
    trigger = {"trigger_type": "bereavement", "severity": "critical", "observed_at": datetime.now(UTC).isoformat(),
               "description": DESCRIPTION, "clinical_notes": CLINICAL}  # fmt: skip
    answers = portal.stack.post_events(
        [
            opening(case_id),
            _event(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
            _event(case_id, "team.member_joined", {"practitioner": MEMBERS["police"], "role": "police"}),
            _event(case_id, "team.member_joined", {"practitioner": COMMUNITY_WORKER, "role": "community"}),
            _event(case_id, "team.member_joined", {"practitioner": CHAIR, "role": "panel_chair"}),
            _event(case_id, "sharing_agreement.updated", clinical_agreement(datetime.now(UTC)), "mental_health"),
            _event(case_id, "trigger.reported", trigger),
        ]
    )
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    return case_id


@pytest.fixture
def french_page(chromium: Browser) -> Iterator[Page]:
    """A browser set to English: the page is French because the practitioner is, not because the browser is."""
    context = chromium.new_context(locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _the_alert(page: Page, portal: PortalProcess, case_id: str, needle: str = DESCRIPTION) -> None:
    """Reload until the alert is in (the portal follows the broker: a second or two behind intake)."""
    for _ in range(60):
        if page.locator(f"article:has-text('{needle}')").count():
            return
        time.sleep(1)
        page.goto(portal.url + "/")
    raise AssertionError(f"no alert for {case_id} in the inbox")


def test_the_case_manager_acknowledges_the_critical_trigger_and_the_escalation_stops(
    page: Page, page_errors: list[str], portal: PortalProcess, keycloak: KeycloakNode, case_id: str
) -> None:
    sign_in(page, portal, keycloak, "sam.okafor")
    _the_alert(page, portal, case_id)
    alert = page.locator(f"article:has-text('{DESCRIPTION}')").first
    expect(alert.locator(".badge-critical")).to_be_visible()
    expect(alert).to_contain_text(CLINICAL)
    assert_accessible(page)
    screenshot(page, "portal-inbox")

    alert.get_by_label("I contacted the person").check()
    alert.get_by_role("textbox").fill("Visited at 11:00.")
    alert.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("main")).to_contain_text("You acknowledged this alert: I contacted the person.")
    assert_accessible(page)

    page.goto(f"{portal.url}/cases/{case_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case_id)
    expect(page.locator("main")).to_contain_text(CHAIR["name"])
    assert_accessible(page)
    screenshot(page, "portal-case")
    assert page_errors == []

    assert portal.stack is not None
    time.sleep(40)  # the 30 s window, and the sweep after it
    escalations = [m for m in messages(portal.stack.maildir, case_id) if "escalated" in str(m["Subject"]).lower()]
    assert escalations == []


def test_the_police_officer_never_sees_the_clinical_notes(
    page: Page, portal: PortalProcess, keycloak: KeycloakNode, case_id: str
) -> None:
    sign_in(page, portal, keycloak, "ana.ferreira")
    _the_alert(page, portal, case_id)
    expect(page.locator("main")).not_to_contain_text("sertraline")
    page.goto(f"{portal.url}/cases/{case_id}")
    expect(page.locator("main")).to_contain_text(DESCRIPTION)
    expect(page.locator("main")).not_to_contain_text("sertraline")
    assert_accessible(page)
    screenshot(page, "portal-case-police")


def test_a_practitioner_not_on_the_team_gets_404(
    page: Page, portal: PortalProcess, keycloak: KeycloakNode, case_id: str
) -> None:
    sign_in(page, portal, keycloak, "dr.lena.novak")
    hidden = page.goto(f"{portal.url}/cases/{case_id}")
    assert hidden is not None and hidden.status == 404
    hidden_text = page.locator("main").inner_text()
    missing = page.goto(f"{portal.url}/cases/BR-NO-SUCH-CASE")
    assert missing is not None and missing.status == 404
    assert page.locator("main").inner_text() == hidden_text
    assert_accessible(page)
    screenshot(page, "portal-not-found")
    page.goto(portal.url + "/")
    expect(page.locator("main")).not_to_contain_text(DESCRIPTION)


def test_the_french_speaking_community_worker_reads_her_inbox_and_email_in_french(
    french_page: Page, portal: PortalProcess, keycloak: KeycloakNode, case_id: str
) -> None:
    heading = translate("fr", "Your inbox")
    assert heading != "Your inbox", "the French catalogue lacks the inbox's heading"
    sign_in(french_page, portal, keycloak, "amira.haddad")
    _the_alert(french_page, portal, case_id, needle=case_id)
    assert french_page.locator("html").get_attribute("lang") == "fr"
    expect(french_page.locator("main")).not_to_contain_text(DESCRIPTION)  # risk: not a community worker's
    expect(french_page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(french_page.locator("main")).not_to_contain_text("sertraline")
    assert_accessible(french_page)
    screenshot(french_page, "portal-inbox-fr")

    assert portal.stack is not None
    hers = [m for m in messages(portal.stack.maildir, case_id) if COMMUNITY_WORKER["email"] in str(m["To"])]
    assert hers, "no email to the community worker"
    body = text_of(hers[0])
    shared_with_you = translate("fr", "Shared with you:")
    assert shared_with_you != "Shared with you:" and shared_with_you in body, body[:400]
    assert "Shared with you:" not in body and "sertraline" not in body
