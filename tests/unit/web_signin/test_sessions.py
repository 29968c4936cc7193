"""The session cookie on later requests: a forged, expired or foreign one is no session (the first page
offers sign-in again and clears it); a good one lasts session_max_age_s."""

import httpx
from itsdangerous import URLSafeSerializer

from tests.unit.portal.portal_kit import PUBLIC_URL, SESSION_COOKIE, sign_in


def replace_session(browser: httpx.AsyncClient, value: str) -> None:
    browser.cookies.delete(SESSION_COOKIE)
    browser.cookies.set(SESSION_COOKIE, value, domain="portal.test")


async def signed_out(browser: httpx.AsyncClient) -> httpx.Response:
    page = await browser.get("/")
    assert page.status_code == 200
    assert "Signed in as" not in page.text and 'href="/auth/login"' in page.text
    return page


async def test_a_session_lasts_until_its_max_age(browser, issuer, clock):
    await sign_in(browser, issuer)
    clock.now += 8 * 3600 - 1
    assert "Signed in as" in (await browser.get("/")).text
    clock.now += 2
    page = await signed_out(browser)
    assert "Your session has ended" in page.text
    assert f'{SESSION_COOKIE}=""' in page.headers["set-cookie"] and "Max-Age=0" in page.headers["set-cookie"]


async def test_a_tampered_session_cookie_is_no_session(browser, issuer):
    await sign_in(browser, issuer)
    good = browser.cookies[SESSION_COOKIE]
    payload, signature = good.rsplit(".", 1)
    replace_session(browser, f"{payload[:-4]}AAAA.{signature}")
    await signed_out(browser)


async def test_a_session_signed_with_another_secret_is_no_session(browser, issuer):
    await sign_in(browser, issuer)
    forged = URLSafeSerializer("another-secret-of-at-least-32-characters", salt="drr_portal_session")
    replace_session(browser, forged.dumps({"iat": int(issuer.now), "v": {"sub": "x", "name": "Mallory", "csrf": "c"}}))
    await signed_out(browser)


async def test_a_session_made_by_another_portal_instance_without_a_secret_is_no_session(make_portal, issuer):
    """Outside production an unset secret is random per process: sessions end at a restart."""
    cookies = httpx.Cookies()
    for _ in range(2):
        app = make_portal(session_secret=None)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=PUBLIC_URL, cookies=cookies) as b:
            if SESSION_COOKIE in cookies:
                await signed_out(b)
            else:
                await sign_in(b, issuer)
                assert "Signed in as" in (await b.get("/")).text
                cookies = b.cookies


async def test_a_session_from_the_future_is_no_session(browser, issuer, clock):
    await sign_in(browser, issuer)
    clock.now -= 120
    await signed_out(browser)


async def test_no_cookie_is_the_sign_in_page_without_a_session_ended_note(browser):
    page = await signed_out(browser)
    assert "Your session has ended" not in page.text and "set-cookie" not in page.headers
