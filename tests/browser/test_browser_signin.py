"""Signing in to the portal in a real browser: headless Chromium, the real portal process, a real Keycloak with
the drr realm. The person opens the portal, follows "Sign in", fills Keycloak's login form, lands back signed in
under their own name, and logs out of the portal and of Keycloak both. Every portal page passes axe and is
usable by keyboard (Keycloak's own login page is Keycloak's: it is photographed, not judged).
"""

import re

from playwright.sync_api import Page, expect

from deploy.local.demo_case import CASE_MANAGER, OVERSIGHT_USER
from deploy.local.keycloak import KeycloakNode
from tests.browser.axe import assert_accessible
from tests.browser.keyboard import tab_order
from tests.browser.portal_node import PortalProcess, demo_user
from tests.browser.shots import screenshot


def sign_in(page: Page, portal: PortalProcess, keycloak: KeycloakNode, username: str, *, shots: str = "") -> None:
    """From the portal's front page through Keycloak's login form and back, as a person would click it."""
    page.goto(portal.url + "/")
    page.get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(keycloak.issuer) + "/protocol/openid-connect/auth"))
    user = demo_user(keycloak, username)
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(user.password)
    if shots:
        screenshot(page, f"{shots}-keycloak-login")
    page.locator("#kc-login").click()
    expect(page).to_have_url(portal.url + "/")


def test_a_case_manager_signs_in_sees_her_name_and_signs_out(
    page: Page, page_errors: list[str], portal: PortalProcess, keycloak: KeycloakNode
) -> None:
    page.goto(portal.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page)
    screenshot(page, "portal-signed-out")

    sign_in(page, portal, keycloak, "sam.okafor", shots="portal")
    expect(page.locator("body")).to_contain_text(f"Signed in as {CASE_MANAGER['name']} (probation)")
    assert_accessible(page)
    screenshot(page, "portal-signed-in")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(portal.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator("body")).not_to_contain_text(CASE_MANAGER["name"])
    assert_accessible(page)
    assert page_errors == []


def test_after_logout_keycloak_asks_for_the_password_again(
    page: Page, portal: PortalProcess, keycloak: KeycloakNode
) -> None:
    """Logging out ends Keycloak's single sign-on session too: "Sign in" shows the login form, not the inbox."""
    sign_in(page, portal, keycloak, "sam.okafor")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_role("link", name="Sign in").click()
    expect(page.locator("#password")).to_be_visible()
    assert not page.url.startswith(portal.url)


def test_the_oversight_user_is_told_she_signed_in_as_oversight(
    page: Page, portal: PortalProcess, keycloak: KeycloakNode
) -> None:
    sign_in(page, portal, keycloak, OVERSIGHT_USER["username"])
    expect(page.locator("body")).to_contain_text(f"Signed in as {OVERSIGHT_USER['name']}")
    expect(page.locator("main")).to_contain_text("You are signed in as an oversight user.")
    assert_accessible(page)
    screenshot(page, "portal-signed-in-oversight")


def test_the_portal_is_usable_by_keyboard_alone(page: Page, portal: PortalProcess, keycloak: KeycloakNode) -> None:
    """The skip link comes first and moves the focus to the main content; every stop shows a focus ring; Enter
    on "Sign in" leaves for the identity provider; after sign-in, Log out is reached and works by keyboard."""
    page.goto(portal.url + "/")
    order = tab_order(page)
    assert [stop.text for stop in order][:3] == ["Skip to main content", "DRR multi-agency portal", "Sign in"], [
        str(s) for s in order
    ]
    assert [str(stop) for stop in order if not stop.visible] == []
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    sign_in(page, portal, keycloak, "sam.okafor")
    order = tab_order(page)
    assert "Log out" in [stop.text for stop in order] and all(stop.visible for stop in order)
    while page.evaluate("document.activeElement.innerText") != "Log out":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
