"""The portal's pages and probes: semantic HTML with a language and a skip link, escaped names, security
headers on every answer, /healthz and /metrics."""

import re

from tests.unit.portal.portal_kit import sign_in


async def test_pages_have_a_language_a_skip_link_and_a_main_landmark(browser, issuer):
    for signed_in in (False, True):
        if signed_in:
            await sign_in(browser, issuer)
        page = (await browser.get("/")).text
        assert re.search(r'<html lang="en">', page)
        assert '<a href="#main">Skip to main content</a>' in page and '<main id="main"' in page
        assert page.count("<h1>") == 1


async def test_a_name_from_the_issuer_is_escaped(browser, issuer):
    await sign_in(browser, issuer, name="<script>alert(1)</script>")
    page = (await browser.get("/")).text
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_every_answer_carries_the_security_headers(browser, issuer):
    for response in (await browser.get("/"), await browser.get("/auth/login"), await browser.post("/auth/logout")):
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "form-action 'self' https://idp.test" in policy
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "same-origin"


async def test_healthz_answers_ok(browser):
    answer = await browser.get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


async def test_metrics_count_sign_ins_and_refusals_by_reason(browser, issuer):
    await sign_in(browser, issuer)
    await browser.post("/auth/logout", data={"csrf_token": "wrong"})
    text = (await browser.get("/metrics")).text
    assert re.search(r'^drr_sign_ins_total\{kind="practitioner",service="portal"\} [1-9]', text, flags=re.M)
    assert re.search(r'^drr_sign_in_refusals_total\{reason="csrf_mismatch",service="portal"\} [1-9]', text, flags=re.M)
    assert "Sam Okafor" not in text and "p-cm-1" not in text
