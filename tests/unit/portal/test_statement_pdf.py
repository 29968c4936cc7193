"""The person's statement as a PDF (services/portal/statement_pdf.py): opened by a real parser (pypdf),
it has its title and language, an embedded Unicode font, every agency told, and never a value."""

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from services.portal.statement import Statement, statement_of
from services.portal.statement_pdf import statement_pdf
from shared.deliveries import Delivery
from tests.unit.portal.test_statement import CASE, case_history, values_of

NAME = "Zoë Ångström-Łukasiewicz"
"""Letters outside Latin-1: they survive only with an embedded Unicode font."""


@pytest.fixture
async def deliveries() -> list[Delivery]:
    return await case_history()


def opened(statement: Statement) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(statement_pdf(statement)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(text.split())  # the table wraps words over lines


def made(deliveries: list[Delivery], **options: object) -> Statement:
    produced = datetime(2026, 12, 1, 9, tzinfo=UTC)
    return statement_of(CASE, deliveries, person_name=NAME, produced_at=produced, **options)  # type: ignore[arg-type]


def test_the_pdf_opens_with_its_title_language_and_an_embedded_dejavu_font(deliveries: list[Delivery]) -> None:
    statement = made(deliveries, language="de", time_zone="Europe/Berlin")
    reader, text = opened(statement)
    assert reader.metadata is not None and reader.metadata.title == "How information about you has been shared"
    assert reader.trailer["/Root"]["/Lang"] == "de"
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]
    assert fonts and all("DejaVu" in str(f["/BaseFont"]) for f in fonts)
    assert all("/FontFile2" in f["/DescendantFonts"][0].get_object()["/FontDescriptor"] for f in fonts)
    assert text.startswith("How information about you has been shared")
    assert NAME in text and CASE in text and "1. Dezember 2026" in text


def test_the_pdf_names_every_agency_the_kinds_and_the_persons_rights(deliveries: list[Delivery]) -> None:
    statement = made(deliveries)
    _, text = opened(statement)
    for agency in statement.agencies:
        assert agency in text
    for words in ("health and treatment information", "This information was later withdrawn.", "Your rights"):
        assert words in text
    assert "You can ask your case manager about anything in this statement" in text
    assert text.count("Some information was withheld from them.") == sum(
        "Some" in " ".join(ln.notes) for ln in statement.lines
    )


@pytest.mark.parametrize("seal", [True, False], ids=["sealed", "clear"])
async def test_the_pdf_never_holds_a_value_sealed_or_clear(seal: bool) -> None:
    deliveries = await case_history(seal)
    _, text = opened(made(deliveries, restricted=frozenset()))
    assert "police intelligence" in text  # even named, intelligence is a kind, never its content
    squeezed = "".join(text.split())  # a long token (a ciphertext) is broken over lines inside a cell
    for secret in values_of(deliveries):
        assert secret not in text and "".join(secret.split()) not in squeezed


def test_a_pdf_with_nothing_shared_says_so() -> None:
    _, text = opened(made([]))
    assert "No information about you has been shared with any agency yet." in text and "Legal basis" not in text
