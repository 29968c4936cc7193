"""The oversight console in a real browser, on the real stack: the audit service serves it, signed in at
Keycloak with its own client (`drr-oversight`). The oversight user pins the verifier key she was given out
of band, searches the ledger by case, opens an entry and verifies its inclusion proof in the browser (Web
Crypto: the checkpoint's signature against her pinned key, the root recomputed from the leaf), and finds
her own searches in the query log. A pinned key that is not the ledger's fails the verify; a practitioner
who signs in to the console is refused (403) and shown no case.
"""

import base64
import hashlib
import re
import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from playwright.sync_api import Page, expect

from deploy.local.demo_case import CASE_MANAGER, OVERSIGHT_USER, envelope, opening
from deploy.local.keycloak import KeycloakNode
from tests.browser.axe import assert_accessible
from tests.browser.portal_node import PortalProcess, demo_user
from tests.browser.shots import screenshot


def another_key(real: str) -> str:
    """A well-formed verifier key of the same name that is not the ledger's (a tampered page's key)."""
    name = real.split("+", 1)[0]
    public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4].hex()
    encoded = base64.b64encode(b"\x01" + public).decode()
    return f"{name}+{key_id}+{encoded}"


@pytest.fixture(scope="module")
def case_id(portal: PortalProcess) -> str:
    assert portal.stack is not None
    case_id = f"BR-OV-{uuid.uuid4().hex[:6].upper()}"
    assigned = envelope(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER})
    answers = portal.stack.post_events([opening(case_id), assigned])
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    return case_id


def console_sign_in(page: Page, portal: PortalProcess, keycloak: KeycloakNode, username: str) -> None:
    page.goto(portal.console_url)
    page.get_by_role("link", name="Sign in").first.click()
    expect(page).to_have_url(re.compile(re.escape(keycloak.issuer) + "/protocol/openid-connect/auth"))
    user = demo_user(keycloak, username)
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(user.password)
    page.locator("#kc-login").click()


def pin(page: Page, portal: PortalProcess, key: str) -> None:
    page.goto(portal.console_url)
    page.locator("#pin-input").fill(key)
    page.locator("#pin-button").click()


def verify_an_entry_of(page: Page, portal: PortalProcess, case_id: str) -> str:
    """Search by case, open its first entry, click Verify (again while the entry is newer than the checkpoint)."""
    for _ in range(30):
        page.goto(portal.console_url)
        page.get_by_label("Case").fill(case_id)
        page.get_by_role("button", name="Search").click()
        rows = page.locator("table a[href^='/console/entries/']")
        if rows.count():
            break
        time.sleep(1)
    rows.first.click()
    for _ in range(30):
        page.get_by_role("button", name="Verify").click()
        result = page.locator("#verify-result")
        expect(result).not_to_be_empty()
        text = result.inner_text()
        if "Not verified yet" not in text:
            return text
        time.sleep(1)
        page.reload()
    raise AssertionError("the entry never came under a signed checkpoint")


def test_the_oversight_user_searches_verifies_a_proof_and_finds_her_query(
    page: Page, page_errors: list[str], portal: PortalProcess, keycloak: KeycloakNode, case_id: str
) -> None:
    assert portal.stack is not None
    console_sign_in(page, portal, keycloak, OVERSIGHT_USER["username"])
    expect(page).to_have_url(portal.console_url)
    page_errors.clear()  # the signed-out console answered 401 before sign-in, as it must
    assert_accessible(page)
    screenshot(page, "console-home")

    pin(page, portal, portal.stack.audit_cli("key").strip())
    expect(page.locator("#pin-status")).to_have_text("Key pinned.")
    result = verify_an_entry_of(page, portal, case_id)
    assert result.startswith("Verified:"), result
    assert_accessible(page)
    screenshot(page, "console-entry-verified")

    for _ in range(30):
        page.goto(portal.console_url + "queries")
        mine = page.locator("tr.query", has_text="/console/entries").filter(has_text=case_id)
        if mine.count():
            break
        time.sleep(1)
    expect(mine.first.locator(".actor")).to_contain_text(OVERSIGHT_USER["name"])
    assert_accessible(page)
    screenshot(page, "console-queries")
    assert page_errors == []


def test_a_key_that_is_not_the_ledgers_fails_the_verify(
    page: Page, portal: PortalProcess, keycloak: KeycloakNode, case_id: str
) -> None:
    assert portal.stack is not None
    console_sign_in(page, portal, keycloak, OVERSIGHT_USER["username"])
    pin(page, portal, another_key(portal.stack.audit_cli("key").strip()))
    result = verify_an_entry_of(page, portal, case_id)
    assert result.startswith("Not verified"), result


def test_a_practitioner_is_refused_the_console(
    page: Page, portal: PortalProcess, keycloak: KeycloakNode, case_id: str
) -> None:
    console_sign_in(page, portal, keycloak, "sam.okafor")
    answer = page.goto(portal.console_url + f"entries?case_id={case_id}")
    assert answer is not None and answer.status == 403
    expect(page.locator("main")).not_to_contain_text(case_id)
