"""The gettext catalogues, one per language: shared/locales/<lang>/LC_MESSAGES/messages.po.

Compiled in memory the first time a language is asked for (babel's read_po, then write_mo into a buffer),
so no generated .mo file is committed and none can go stale: the .po files are the only source. Six small
catalogues compile in a few milliseconds each, once per process. English needs no catalogue: the msgids
are the English text. A fuzzy entry is left out (write_mo's default), so it reads as English until a
translator confirms it, and the every-template test fails on it."""

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from shared.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES

LOCALES = Path(__file__).resolve().parents[1] / "locales"
DOMAIN = "messages"
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE)
"""The languages that have a catalogue."""


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(language: str) -> Catalog:
    with po_path(language).open("rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


@cache
def translations(language: str) -> NullTranslations:
    """The language's translations, compiled once per process; English (or anything unserved) as is."""
    if language not in TRANSLATED:
        return NullTranslations()
    buffer = BytesIO()
    write_mo(buffer, read_catalogue(language))
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)
