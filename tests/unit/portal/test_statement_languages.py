"""The person's statement in each of the six languages, from the gettext catalogues (shared/i18n): every
text it shows has a translation, and a French statement (page and PDF) is in French."""

import io
from collections.abc import Callable

import pytest
from jinja2 import FileSystemLoader, StrictUndefined
from pypdf import PdfReader

from services.portal.pages import TEMPLATES
from services.portal.statement import LANGUAGES, Statement, statement_of
from services.portal.statement_pdf import statement_pdf
from shared.deliveries import Delivery
from tests.unit.portal.test_statement import CASE, case_history, values_of

i18n = pytest.importorskip("shared.i18n", reason="shared/i18n (the catalogues) has not landed yet")
catalogues = pytest.importorskip("shared.i18n.catalogues")


@pytest.fixture
async def deliveries() -> list[Delivery]:
    return await case_history()


def localised(language: str, deliveries: list[Delivery], _: Callable[[str], str] | None = None) -> Statement:
    found = i18n.translations(language)
    return statement_of(
        CASE, deliveries, language=language, time_zone="Europe/Paris", _=_ or found.gettext, ngettext=found.ngettext
    )


def test_the_statement_serves_the_languages_the_catalogues_serve() -> None:
    assert LANGUAGES == i18n.LANGUAGES


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_text_of_the_statement_is_translated(language: str, deliveries: list[Delivery]) -> None:
    """Each message the statement asks for has a confirmed translation in the language's catalogue (the
    policy's own wording is asked for too: its purposes and legal bases)."""
    asked: list[str] = []
    translate = i18n.translations(language).gettext

    def recording(message: str) -> str:
        asked.append(message)
        return str(translate(message))

    localised(language, deliveries, recording)
    catalogue = {m.id: m for m in catalogues.read_catalogue(language) if m.id}
    missing = [m for m in dict.fromkeys(asked) if m not in catalogue or not catalogue[m].string or catalogue[m].fuzzy]
    assert missing == []
    assert len(asked) > 60


async def test_a_french_statement_is_in_french_on_the_page_and_in_the_pdf(deliveries: list[Delivery]) -> None:
    statement = localised("fr", deliveries)
    assert statement.texts.title == "Comment les informations vous concernant ont été partagées"
    assert "Police : 4 événements communiqués" in statement.agencies
    assert statement.lines[0].when == "21 novembre 2026"  # 23:30 UTC on the 20th is the 21st in Paris
    assert any("informations sur votre santé et vos soins" in line.classes for line in statement.lines)
    pages = i18n.Localised(FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    html = pages.render("statement.html", "fr", statement=statement)
    assert '<html lang="fr">' in html and "<caption>Informations partagées vous concernant" in html
    assert "Vos droits" in html and "Your rights" not in html
    reader = PdfReader(io.BytesIO(statement_pdf(statement)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert reader.metadata is not None and reader.metadata.title == statement.texts.title
    assert reader.trailer["/Root"]["/Lang"] == "fr" and "Vos droits" in text
    for secret in values_of(deliveries):
        assert secret not in html and secret not in text
