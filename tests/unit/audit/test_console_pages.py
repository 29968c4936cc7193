"""The oversight console through its routes, as a browser walks it, over a real ledger file and a FakeIssuer:
who gets in (an oversight user) and who does not (nobody signed in, a practitioner, a forged cookie), every
page on the record under the signed-in user's name before it is shown, and what each page holds."""

import base64
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from drr_verify.notes import open_checkpoint, parse_verifier_key
from drr_verify.proofs import leaf_hash, verify_inclusion

from services.audit.app import create_app
from tests.unit.audit.console_kit import (
    OVERSEER,
    SESSION_COOKIE,
    Audit,
    audit_with_console,
    csrf_of,
    json_block,
    ledger_with_cases,
    oversight_issuer,
    sign_in,
)
from tests.unit.portal.fake_issuer import PRACTITIONER, FakeIssuer

PAGES = ["/console/", "/console/entries?case_id=case-a", "/console/entries/0", "/console/cases/case-a/disclosures",
         "/console/queries"]  # fmt: skip


@pytest.fixture
def issuer() -> FakeIssuer:
    return oversight_issuer()


@pytest.fixture
async def audit(tmp_path: Path, issuer: FakeIssuer) -> AsyncIterator[Audit]:
    async with issuer.http() as http:
        audit = audit_with_console(tmp_path, http, issuer)
        yield audit
        audit.ledger.close()


@pytest.fixture
async def browser(audit: Audit) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=audit.app), base_url="https://audit.test") as c:
        yield c


@pytest.fixture
async def overseer(browser: httpx.AsyncClient, issuer: FakeIssuer) -> httpx.AsyncClient:
    answer = await sign_in(browser, issuer, OVERSEER)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/"
    return browser


@pytest.mark.parametrize("path", PAGES)
async def test_nobody_signed_in_gets_the_sign_in_page_and_nothing_is_recorded(
    browser: httpx.AsyncClient, audit: Audit, path: str
) -> None:
    size = audit.ledger.size()
    page = await browser.get(path)
    assert page.status_code == 401 and 'href="/auth/login"' in page.text
    assert "case-a" not in page.text and "police" not in page.text
    assert audit.ledger.size() == size


@pytest.mark.parametrize("path", PAGES)
async def test_a_practitioner_is_told_the_console_is_for_oversight_bodies(
    browser: httpx.AsyncClient, audit: Audit, issuer: FakeIssuer, path: str
) -> None:
    assert (await sign_in(browser, issuer, PRACTITIONER)).status_code == 303
    size = audit.ledger.size()
    page = await browser.get(path)
    assert page.status_code == 403 and "for oversight bodies only" in page.text
    assert "case-a" not in page.text and "mental_health" not in page.text
    assert audit.ledger.size() == size


async def test_a_forged_session_cookie_is_refused_and_cleared(overseer: httpx.AsyncClient, audit: Audit) -> None:
    value = overseer.cookies[SESSION_COOKIE]
    overseer.cookies.set(SESSION_COOKIE, value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
    page = await overseer.get("/console/")
    assert page.status_code == 401 and "Your session has ended" in page.text
    assert f'{SESSION_COOKIE}=""' in page.headers["set-cookie"] and "Max-Age=0" in page.headers["set-cookie"]


async def test_logout_needs_the_pages_csrf_token(overseer: httpx.AsyncClient) -> None:
    home = await overseer.get("/console/")
    missing = await overseer.post("/auth/logout")
    assert missing.status_code == 403 and missing.json()["error"] == "csrf_missing"
    wrong = await overseer.post("/auth/logout", data={"csrf_token": "x" * 43})
    assert wrong.status_code == 403 and wrong.json()["error"] == "csrf_mismatch"
    out = await overseer.post("/auth/logout", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303 and out.headers["location"].startswith("https://idp.test/realms/drr/logout?")
    assert "post_logout_redirect_uri=https%3A%2F%2Faudit.test%2Fconsole%2F" in out.headers["location"]
    assert (await overseer.get("/console/")).status_code == 401


async def test_every_page_view_is_recorded_under_the_signed_in_users_name_before_it_is_shown(
    overseer: httpx.AsyncClient, audit: Audit
) -> None:
    for path in PAGES:
        assert (await overseer.get(path)).status_code == 200, path
    recorded = audit.queries()
    assert [q["actor"] for q in recorded] == ["Ines Dupont (9a-ov)"] * len(PAGES)
    assert [q["query"]["path"] for q in recorded] == [path.split("?")[0] for path in PAGES]
    assert (
        recorded[1]["query"] == {"path": "/console/entries", "case_id": "case-a"} and recorded[1]["case_id"] == "case-a"
    )
    assert recorded[3]["case_id"] == "case-a"


async def test_no_page_is_shown_that_is_not_on_the_record(overseer: httpx.AsyncClient, audit: Audit) -> None:
    audit.query_log.down = True
    page = await overseer.get("/console/entries", params={"case_id": "case-a"})
    assert page.status_code == 503 and "could not be recorded" in page.text and "mental_health" not in page.text


async def test_the_home_page_shows_the_latest_checkpoint_and_the_served_key(
    overseer: httpx.AsyncClient, audit: Audit
) -> None:
    page = await overseer.get("/console/")
    latest = audit.ledger.latest_checkpoint()
    assert latest is not None and latest.note.split("\n")[2] in page.text
    assert audit.signer.verifier_key in page.text and 'id="pin-input"' in page.text


async def test_a_search_by_case_agency_decision_and_time_finds_only_its_entries(overseer: httpx.AsyncClient) -> None:
    by_case = (await overseer.get("/console/entries", params={"case_id": "case-a"})).text
    assert "3 entries" in by_case and "case-b" not in by_case  # the two decisions, and this query itself
    decisions = (await overseer.get("/console/entries", params={"case_id": "case-a", "kind": "sharing.decided"})).text
    assert "2 entries" in decisions and "audit.queried" not in decisions
    by_decision = (await overseer.get("/console/entries", params={"decision": "withheld", "agency": "probation"})).text
    assert "1 entries" in by_decision and "case-b" in by_decision and "case-a" not in by_decision
    later = await overseer.get("/console/entries", params={"since": "2999-01-01T00:00", "case_id": ""})
    assert later.status_code == 200 and "0 entries" in later.text
    window = await overseer.get("/console/entries", params={"since": "2000-01-01T00:00", "until": "2999-01-01T00:00"})
    assert "/console/entries/2" in window.text


@pytest.mark.parametrize(
    ("query", "fields"),
    [({"since": "yesterday"}, "since"), ({"until": "2026-02-30T00:00"}, "until"), ({"colour": "red"}, "colour"),
     ({"case_id": "x" * 201}, "case_id"), ({"start": "-1"}, "start")],
)  # fmt: skip
async def test_a_search_the_form_cannot_ask_is_refused_by_field_and_not_recorded(
    overseer: httpx.AsyncClient, audit: Audit, query: dict[str, str], fields: str
) -> None:
    size = audit.ledger.size()
    page = await overseer.get("/console/entries", params=query)
    assert page.status_code == 422 and f"Please correct these fields: {fields}" in page.text
    assert audit.ledger.size() == size


async def test_an_entry_page_carries_a_proof_that_drr_verify_accepts(overseer: httpx.AsyncClient, audit: Audit) -> None:
    page = await overseer.get("/console/entries/1")
    data = json_block(page.text, "entry-data")
    checkpoint = open_checkpoint(data["checkpoint"]["note"], parse_verifier_key(audit.signer.verifier_key))
    assert checkpoint is not None and data["index"] == 1 and "case-b" in data["leaf"]
    proof = [base64.b64decode(p) for p in data["proof"]]
    assert verify_inclusion(1, checkpoint.size, leaf_hash(data["leaf"].encode()), proof, checkpoint.root)
    assert not verify_inclusion(0, checkpoint.size, leaf_hash(data["leaf"].encode()), proof, checkpoint.root)
    assert "verified" in json_block(page.text, "verify-messages")


@pytest.mark.parametrize("index", ["999", "x", "-1", str(2**63)])
async def test_an_entry_that_is_not_there_is_a_404_page(overseer: httpx.AsyncClient, index: str) -> None:
    page = await overseer.get(f"/console/entries/{index}")
    assert page.status_code == 404 and "No such entry" in page.text


async def test_the_disclosures_page_shows_who_was_told_what_and_what_was_withheld(overseer: httpx.AsyncClient) -> None:
    page = await overseer.get("/console/cases/case-a/disclosures")
    assert "2 disclosures." in page.text and "mental_health" in page.text and "clinical_notes" in page.text
    assert "probation" not in page.text  # case-b's


async def test_the_query_log_lists_the_apis_and_the_consoles_queries_newest_first(
    overseer: httpx.AsyncClient, audit: Audit
) -> None:
    await overseer.get("/console/entries", params={"recipient": "p-3"})
    page = (await overseer.get("/console/queries")).text
    assert page.index("/console/queries") < page.index("/console/entries") and "recipient=p-3" in page
    assert page.count('class="actor">Ines Dupont (9a-ov)<') == 2


async def test_pages_forbid_inline_script_and_style_and_the_api_pages_keep_theirs(
    overseer: httpx.AsyncClient,
) -> None:
    page = await overseer.get("/console/entries/0")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<style" not in page.text and "<script>" not in page.text and " style=" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "content-security-policy" not in (await overseer.get("/docs")).headers


@pytest.mark.parametrize(("name", "status"), [("console.js", 200), ("verify.js", 200), ("console.css", 200),
                                              ("../app.py", 404), ("pages.py", 404)])  # fmt: skip
async def test_only_the_consoles_own_assets_are_served(browser: httpx.AsyncClient, name: str, status: int) -> None:
    assert (await browser.get(f"/console/static/{name}")).status_code == status


@pytest.fixture
def no_console(tmp_path: Path) -> Iterator[httpx.AsyncClient]:
    ledger, signer = ledger_with_cases(tmp_path)
    app = create_app(ledger, None, signer.verifier_key)  # type: ignore[arg-type]  # no query is made
    yield httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit")
    ledger.close()


@pytest.mark.parametrize("path", ["/console/", "/auth/login", "/console/static/console.js"])
async def test_without_an_issuer_there_is_no_console(no_console: httpx.AsyncClient, path: str) -> None:
    async with no_console:
        assert (await no_console.get(path)).status_code == 404
