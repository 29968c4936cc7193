"""`make messages`: every translatable string, extracted and merged into each language's catalogue.

    python -m shared.i18n.extraction update   # new msgids added empty, changed ones fuzzy, unused ones dropped
    python -m shared.i18n.extraction check    # exit 1 if a catalogue misses, leaves untranslated or keeps one

Strings come from every Jinja2 template folder (TEMPLATE_GLOBS: `{% trans %}`, `_()`, `gettext()`), from
Python code (`_()`, `N_()` marks, `translate(language, "...")`), and from vocabulary providers: modules
whose `messages()` yields the strings that live as data (the notifier's guidance.yaml wording, payload
field labels and code words)."""

import importlib
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import write_po
from jinja2.ext import babel_extract

from shared.i18n.catalogues import DOMAIN, TRANSLATED, po_path, read_catalogue

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_GLOBS = ("services/**/templates/**/*.html", "services/**/templates/**/*.j2", "shared/**/templates/**/*.html")
PYTHON_GLOBS = ("services/**/*.py", "shared/**/*.py")
VOCABULARIES = ("services.notifier.email.vocabulary",)
KEYWORDS = {"_": None, "gettext": None, "N_": None, "translate": (2,), "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
JINJA_OPTIONS = {"trimmed": "true", "extensions": "jinja2.ext.i18n"}


def files(globs: Iterable[str]) -> list[Path]:
    return sorted({path for pattern in globs for path in ROOT.glob(pattern) if "node_modules" not in path.parts})


def extracted() -> Catalog:
    """Every msgid the code and templates use now, with where each comes from."""
    catalog = Catalog(domain=DOMAIN, project="drr-notify", fuzzy=False)
    for path in files(TEMPLATE_GLOBS):
        _add(catalog, path, _messages(path, babel_extract, JINJA_OPTIONS))
    for path in files(PYTHON_GLOBS):
        _add(catalog, path, _messages(path, "python", {}))
    for name in VOCABULARIES:
        for message in importlib.import_module(name).messages():
            catalog.add(message, locations=[(name, 0)])
    return catalog


def _messages(path: Path, method: object, options: dict[str, str]) -> Iterator[tuple[int, str | tuple[str, ...]]]:
    with path.open("rb") as file:
        for line, message, _comments, _context in extract(method, file, KEYWORDS, options=options):  # type: ignore[arg-type]
            yield line, message


def _add(catalog: Catalog, path: Path, found: Iterable[tuple[int, str | tuple[str, ...]]]) -> None:
    where = str(path.relative_to(ROOT))
    for line, message in found:
        if message:
            catalog.add(message, locations=[(where, line)])


def update(template: Catalog) -> None:
    for language in TRANSLATED:
        path = po_path(language)
        catalog = read_catalogue(language) if path.exists() else _new(language)
        catalog.update(template, update_header_comment=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:
            write_po(file, catalog, width=120, ignore_obsolete=True, include_lineno=False, sort_output=True)


def _new(language: str) -> Catalog:
    return Catalog(locale=language, domain=DOMAIN, project="drr-notify", fuzzy=False)


def problems(template: Catalog) -> list[str]:
    """Per language: msgids without a confirmed translation, and translations no code uses any more."""
    found: list[str] = []
    wanted = {m.id for m in template if m.id}
    for language in TRANSLATED:
        catalog = {m.id: m for m in read_catalogue(language) if m.id}  # (contexts: none used so far)
        for msgid in sorted(wanted, key=str):
            message = catalog.get(msgid)
            if message is None or message.fuzzy or not _translated(message.string):
                found.append(f"{language}: not translated: {msgid!r}")
        found += [f"{language}: unused: {msgid!r}" for msgid in sorted(catalog.keys() - wanted, key=str)]
    return found


def _translated(string: object) -> bool:
    return all(string) if isinstance(string, tuple | list) else bool(string)


def main(argv: list[str]) -> int:
    template = extracted()
    if argv[1:] == ["update"]:
        update(template)
    found = problems(template)
    sys.stderr.write("".join(f"{line}\n" for line in found))
    return 1 if found and argv[1:] == ["check"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
