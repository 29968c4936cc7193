"""The person's statement from the portal (services/portal/statements.py): the case manager gets the page and
the PDF, in the language she picks for the person; any other practitioner, even on the team, gets the same
404 as for a case that does not exist; the statement names kinds of information, never a value."""

import io

import pytest
from pypdf import PdfReader

from services.portal.case_data import CaseData
from shared.i18n import translate
from tests.unit.portal.inbox_kit import CASE, CLINICAL_NOTES, DESCRIPTION, CaseFeed, demo_case
from tests.unit.portal.portal_kit import sign_in

POLICE = {"practitioner_id": "p-pol-3", "agency": "police", "name": "Ana Ferreira"}


@pytest.fixture
async def feed(case_data: CaseData) -> CaseFeed:
    return await demo_case(case_data)


async def test_the_case_manager_is_offered_the_statement_in_six_languages(browser, issuer, feed):
    await sign_in(browser, issuer)
    page = (await browser.get(f"/cases/{CASE}")).text
    assert f'action="/cases/{CASE}/statement"' in page and f'formaction="/cases/{CASE}/statement.pdf"' in page
    assert all(f'<option value="{code}"' in page for code in ("en", "fr", "nl", "sv", "da", "de"))


async def test_the_statement_page_names_kinds_of_information_never_values(browser, issuer, feed):
    await sign_in(browser, issuer)
    answer = await browser.get(f"/cases/{CASE}/statement")
    assert answer.status_code == 200 and '<html lang="en">' in answer.text
    assert CASE in answer.text and "Probation" in answer.text
    assert DESCRIPTION not in answer.text and CLINICAL_NOTES not in answer.text


async def test_the_statement_comes_in_the_language_asked_for(browser, issuer, feed):
    await sign_in(browser, issuer)
    answer = await browser.get(f"/cases/{CASE}/statement", params={"lang": "fr"})
    title = translate("fr", "How information about you has been shared")
    assert answer.status_code == 200 and '<html lang="fr">' in answer.text
    assert title != "How information about you has been shared" and title in answer.text


async def test_the_pdf_is_a_real_pdf_in_that_language_without_the_content(browser, issuer, feed):
    await sign_in(browser, issuer)
    answer = await browser.get(f"/cases/{CASE}/statement.pdf", params={"lang": "de"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == f'attachment; filename="statement-{CASE}-de.pdf"'
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert CASE in text and "sertraline" not in text.lower() and DESCRIPTION not in text
    assert translate("de", "How information about you has been shared") in text


@pytest.mark.parametrize("path", [f"/cases/{CASE}/statement", f"/cases/{CASE}/statement.pdf"])
async def test_a_team_member_who_is_not_the_case_manager_gets_404(browser, issuer, feed, path):
    await sign_in(browser, issuer, **POLICE)
    hidden, missing = await browser.get(path), await browser.get(path.replace(CASE, "NO-SUCH-CASE"))
    assert hidden.status_code == missing.status_code == 404 and hidden.text == missing.text
    assert f"/cases/{CASE}/statement" not in (await browser.get(f"/cases/{CASE}")).text


async def test_signed_out_the_statement_sends_to_sign_in(browser, feed):
    answer = await browser.get(f"/cases/{CASE}/statement.pdf")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
