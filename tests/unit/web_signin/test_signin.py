"""The whole sign-in through the portal's routes, as a browser walks it: the success path, what the
session holds, and every refusal of the callback, each with its machine-readable reason."""

import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.requests import Request

from services.portal.app import build_app
from shared.web_signin.cookies import SignedCookie
from tests.unit.portal.fake_issuer import OVERSIGHT_USER, PRACTITIONER, FakeIssuer
from tests.unit.portal.portal_kit import (
    LOGIN_COOKIE,
    PUBLIC_URL,
    SESSION_COOKIE,
    SESSION_SECRET,
    Clock,
    leave_for_issuer,
    portal_settings,
    sign_in,
)


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    jar = {}
    for header in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        jar.update({name: cookie for name in cookie})
    return jar


def session_value(browser: httpx.AsyncClient, clock: Clock) -> dict[str, object]:
    """The session cookie's content, read with the portal's own key."""
    reader = SignedCookie(
        "drr_portal_session", secret=SESSION_SECRET, salt="drr_portal_session", max_age_s=3600, secure=True, clock=clock
    )
    cookie = f"{reader.name}={browser.cookies[SESSION_COOKIE]}"
    value = reader.read(Request({"type": "http", "headers": [(b"cookie", cookie.encode())]}))
    assert value is not None
    return value


async def test_a_practitioner_signs_in_and_the_first_page_says_who_and_which_agency(browser, issuer):
    answer = await sign_in(browser, issuer)
    assert (answer.status_code, answer.headers["location"]) == (303, "/")
    page = await browser.get("/")
    assert page.status_code == 200
    assert "Signed in as <strong>Sam Okafor</strong> (probation)" in page.text


async def test_the_login_redirect_carries_state_nonce_and_an_s256_challenge(browser):
    query = parse_qs(urlsplit(await leave_for_issuer(browser)).query)
    assert query["redirect_uri"] == [f"{PUBLIC_URL}/auth/callback"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["state"] != query["nonce"]
    assert query["scope"] == ["openid profile email"]


async def test_the_token_request_proves_the_verifier_and_the_client_secret(browser, issuer):
    await sign_in(browser, issuer)
    (request,) = issuer.token_requests
    form = parse_qs(request.content.decode())
    assert len(form["code_verifier"][0]) >= 43
    assert "client_secret" not in form and request.headers["authorization"].startswith("Basic ")


async def test_session_and_login_cookies_are_httponly_lax_secure_and_host_prefixed(browser, issuer):
    leaving = await browser.get("/auth/login")
    answer = await browser.get("/auth/callback", params=issuer.authorize(leaving.headers["location"]))
    for response, name in ((leaving, LOGIN_COOKIE), (answer, SESSION_COOKIE)):
        morsel = set_cookies(response)[name][name]
        assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "lax"
        assert morsel["path"] == "/" and not morsel["domain"]
    assert set_cookies(answer)[LOGIN_COOKIE][LOGIN_COOKIE]["max-age"] == "0"  # used once


async def test_over_plain_http_on_loopback_cookies_are_neither_secure_nor_prefixed(make_portal, issuer):
    app = make_portal(public_url="http://127.0.0.1:8005")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1:8005") as browser:
        answer = await sign_in(browser, issuer)
        morsel = set_cookies(answer)["drr_portal_session"]["drr_portal_session"]
        assert not morsel["secure"] and morsel["httponly"]
        assert "Sam Okafor" in (await browser.get("/")).text


async def test_the_session_holds_the_claims_the_portal_uses_and_no_other(browser, issuer, clock):
    await sign_in(browser, issuer)
    value = session_value(browser, clock)
    id_token = value.pop("id_token")
    assert set(value) == {"sub", "practitioner_id", "agency", "name", "email", "roles", "csrf"}
    assert {k: value[k] for k in ("sub", "practitioner_id", "agency", "name", "email")} == {
        k: PRACTITIONER[k] for k in ("sub", "practitioner_id", "agency", "name", "email")
    }
    text = json.dumps(value)
    for other in ("preferred_username", "phone_number", "+44 20 7946 0000", "street_address", "kc-session-7"):
        assert other not in text
    assert isinstance(id_token, str) and id_token.count(".") == 2  # the issuer's own token, for logout only


async def test_without_keep_id_token_the_session_holds_no_token_at_all(make_portal, issuer, clock):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(make_portal(keep_id_token=False)), base_url=PUBLIC_URL
    ) as browser:
        await sign_in(browser, issuer)
        value = session_value(browser, clock)
    assert "id_token" not in value
    assert "kc-session-7" not in browser.cookies[SESSION_COOKIE]


async def test_an_oversight_user_without_a_practitioner_id_signs_in(browser, issuer):
    answer = await sign_in(browser, issuer, user=OVERSIGHT_USER)
    assert answer.status_code == 303
    page = (await browser.get("/")).text
    assert "Ines Dupont" in page and "oversight user" in page


async def refusal(answer: httpx.Response, status: int, error: str) -> dict[str, str]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["error"] == error and "Traceback" not in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "") or "Max-Age=0" in answer.headers["set-cookie"]
    return body


async def test_an_account_that_is_neither_practitioner_nor_oversight_is_refused(browser, issuer):
    answer = await sign_in(browser, issuer, user={**PRACTITIONER, "practitioner_id": None, "roles": ["staff"]})
    await refusal(answer, 403, "not_a_practitioner")
    assert SESSION_COOKIE not in browser.cookies


async def test_an_agency_the_system_does_not_know_is_refused(browser, issuer):
    await refusal(await sign_in(browser, issuer, agency="ministry_of_magic"), 403, "unknown_agency")


async def test_roles_that_are_not_a_list_are_refused(browser, issuer):
    await refusal(await sign_in(browser, issuer, roles="oversight"), 400, "malformed_claims")


async def test_an_answer_for_another_state_is_refused(browser, issuer):
    answer = issuer.authorize(await leave_for_issuer(browser))
    await refusal(await browser.get("/auth/callback", params={**answer, "state": "forged"}), 400, "state_mismatch")
    assert not issuer.token_requests  # the code was never spent


async def test_a_callback_without_the_sign_in_cookie_is_refused(browser, issuer):
    answer = issuer.authorize(await leave_for_issuer(browser))
    browser.cookies.clear()
    await refusal(await browser.get("/auth/callback", params=answer), 400, "login_state_missing")


async def test_a_replayed_callback_is_refused(browser, issuer):
    answer = issuer.authorize(await leave_for_issuer(browser))
    assert (await browser.get("/auth/callback", params=answer)).status_code == 303
    await refusal(await browser.get("/auth/callback", params=answer), 400, "login_state_missing")


async def test_a_replayed_callback_with_the_old_sign_in_cookie_cannot_spend_the_code_twice(browser, issuer):
    answer = issuer.authorize(await leave_for_issuer(browser))
    kept = browser.cookies[LOGIN_COOKIE]
    assert (await browser.get("/auth/callback", params=answer)).status_code == 303
    browser.cookies.set(LOGIN_COOKIE, kept, domain="portal.test")
    await refusal(await browser.get("/auth/callback", params=answer), 400, "token_exchange_failed")


async def test_a_sign_in_cookie_older_than_its_limit_is_refused(browser, issuer, clock):
    answer = issuer.authorize(await leave_for_issuer(browser))
    clock.now += 601
    await refusal(await browser.get("/auth/callback", params=answer), 400, "login_state_expired")


async def test_a_forged_sign_in_cookie_is_refused(browser, issuer):
    answer = issuer.authorize(await leave_for_issuer(browser))
    browser.cookies.set(LOGIN_COOKIE, browser.cookies[LOGIN_COOKIE][:-2] + "AA", domain="portal.test")
    await refusal(await browser.get("/auth/callback", params=answer), 400, "login_state_invalid")


async def test_a_session_cookie_is_not_a_sign_in_cookie(browser, issuer):
    await sign_in(browser, issuer)
    answer = issuer.authorize(await leave_for_issuer(browser))
    browser.cookies.set(LOGIN_COOKIE, browser.cookies[SESSION_COOKIE], domain="portal.test")
    await refusal(await browser.get("/auth/callback", params=answer), 400, "login_state_invalid")


async def test_the_issuers_refusal_is_passed_on_as_a_code(browser):
    query = parse_qs(urlsplit(await leave_for_issuer(browser)).query)
    params = {"error": "access_denied", "error_description": "<script>x</script>", "state": query["state"][0]}
    body = await refusal(await browser.get("/auth/callback", params=params), 400, "issuer_error")
    assert body["issuer_error"] == "access_denied" and "script" not in json.dumps(body)


async def test_an_answer_without_a_code_is_refused(browser):
    query = parse_qs(urlsplit(await leave_for_issuer(browser)).query)
    await refusal(await browser.get("/auth/callback", params={"state": query["state"][0]}), 400, "missing_code")


async def test_a_token_for_another_sign_in_is_refused(browser, issuer):
    await refusal(await sign_in(browser, issuer, nonce="another-sign-in"), 400, "nonce_mismatch")


async def test_a_bad_token_is_refused_without_a_session(browser, issuer: FakeIssuer):
    issuer.unsigned = True
    await refusal(await sign_in(browser, issuer), 400, "unsupported_alg")
    assert "Signed in" not in (await browser.get("/")).text


@pytest.mark.parametrize(
    ("claim", "value", "error"),
    [("aud", "another-client", "wrong_audience"), ("iss", "https://evil.test", "wrong_issuer")],
)
async def test_token_claims_refused_through_the_callback(browser, issuer, claim, value, error):
    await refusal(await sign_in(browser, issuer, **{claim: value}), 400, error)


async def test_an_unreachable_issuer_is_a_503_not_a_crash(clock, case_data):
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as http:
        app = build_app(portal_settings(), http=http, clock=clock, data=case_data)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=PUBLIC_URL) as browser:
            await refusal(await browser.get("/auth/login"), 503, "issuer_unavailable")
            assert (await browser.get("/healthz")).json() == {"status": "ok"}
