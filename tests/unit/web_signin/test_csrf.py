"""Every form is CSRF-protected (csrf.py): logout, the one form so far, without its token, with another
session's, from another origin or without a session is a 403 with a reason; with it, the session ends
and the browser goes on to the issuer's end_session_endpoint."""

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.unit.portal.fake_issuer import CLIENT_ID, ISSUER, OVERSIGHT_USER
from tests.unit.portal.portal_kit import PUBLIC_URL, SESSION_COOKIE, sign_in

FORM = {"content-type": "application/x-www-form-urlencoded"}


async def csrf_token(browser: httpx.AsyncClient) -> str:
    page = (await browser.get("/")).text
    forms = re.findall(r"<form\b.*?</form>", page, flags=re.S)
    assert forms and all('name="csrf_token"' in form for form in forms)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


async def refused(response: httpx.Response, status: int, error: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, error), response.text


async def test_logout_with_the_token_ends_the_session_and_goes_to_the_issuer(browser, issuer):
    await sign_in(browser, issuer)
    token = await csrf_token(browser)
    answer = await browser.post("/auth/logout", data={"csrf_token": token})
    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{ISSUER}/logout"
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == [f"{PUBLIC_URL}/"] and query["client_id"] == [CLIENT_ID]
    assert query["id_token_hint"][0].count(".") == 2
    assert SESSION_COOKIE not in browser.cookies
    assert "Signed in as" not in (await browser.get("/")).text


async def test_logout_without_a_kept_id_token_sends_no_hint(make_portal, issuer):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(make_portal(keep_id_token=False)), base_url=PUBLIC_URL
    ) as browser:
        await sign_in(browser, issuer)
        answer = await browser.post("/auth/logout", data={"csrf_token": await csrf_token(browser)})
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert "id_token_hint" not in query and query["client_id"] == [CLIENT_ID]


async def test_logout_without_the_token_is_refused_and_the_session_stays(browser, issuer):
    await sign_in(browser, issuer)
    await refused(await browser.post("/auth/logout", data={}), 403, "csrf_missing")
    await refused(await browser.post("/auth/logout"), 403, "csrf_missing")
    assert "Signed in as" in (await browser.get("/")).text


async def test_logout_with_a_wrong_token_is_refused(browser, issuer):
    await sign_in(browser, issuer)
    await refused(await browser.post("/auth/logout", data={"csrf_token": "guessed"}), 403, "csrf_mismatch")
    assert "Signed in as" in (await browser.get("/")).text


async def test_another_sessions_token_is_refused(make_portal, browser, issuer):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(make_portal()), base_url=PUBLIC_URL) as other:
        await sign_in(other, issuer, user=OVERSIGHT_USER)
        theirs = await csrf_token(other)
    await sign_in(browser, issuer)
    await refused(await browser.post("/auth/logout", data={"csrf_token": theirs}), 403, "csrf_mismatch")


async def test_the_token_twice_is_refused(browser, issuer):
    await sign_in(browser, issuer)
    token = await csrf_token(browser)
    body = f"csrf_token={token}&csrf_token={token}"
    await refused(await browser.post("/auth/logout", content=body, headers=FORM), 403, "csrf_missing")


async def test_the_token_in_the_header_is_accepted(browser, issuer):
    await sign_in(browser, issuer)
    answer = await browser.post("/auth/logout", headers={"x-csrf-token": await csrf_token(browser)})
    assert answer.status_code == 303 and SESSION_COOKIE not in browser.cookies


async def test_a_multipart_form_carries_no_token_the_portal_reads(browser, issuer):
    await sign_in(browser, issuer)
    token = await csrf_token(browser)
    answer = await browser.post("/auth/logout", files={"csrf_token": (None, token)})
    await refused(answer, 403, "csrf_missing")


async def test_a_post_from_another_origin_is_refused_even_with_the_token(browser, issuer):
    await sign_in(browser, issuer)
    answer = await browser.post(
        "/auth/logout", data={"csrf_token": await csrf_token(browser)}, headers={"origin": "https://evil.test"}
    )
    await refused(answer, 403, "cross_origin")


async def test_a_post_without_a_session_is_refused(browser):
    await refused(await browser.post("/auth/logout", data={"csrf_token": "x"}), 403, "not_signed_in")


async def test_a_huge_form_is_refused(browser, issuer):
    await sign_in(browser, issuer)
    await refused(await browser.post("/auth/logout", data={"x": "y" * 70_000}), 413, "body_too_large")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_every_unsafe_method_is_checked(browser, issuer, method):
    await sign_in(browser, issuer)
    await refused(await browser.request(method, "/auth/logout"), 403, "csrf_missing")
