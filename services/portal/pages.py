"""The portal's pages, rendered on the server from Jinja2 templates (templates/), escaped by default, in the
reader's language (shared/i18n: one environment per language, gettext and locale dates installed)."""

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import FileSystemLoader, StrictUndefined

from shared.acks import Outcome
from shared.i18n import Localised, negotiate

TEMPLATES = Path(__file__).parent / "templates"
NATIVE_NAMES = (("en", "English"), ("fr", "Français"), ("nl", "Nederlands"), ("sv", "Svenska"), ("da", "Dansk"),
                ("de", "Deutsch"))  # fmt: skip
"""Each language by its own name, in the statement's language chooser (the reader may not read the page's)."""


def show(value: Any) -> str:
    """A payload value as text: a list one item after another, a mapping as `key: value` pairs."""
    if isinstance(value, list):
        return "; ".join(show(item) for item in value) if value else "—"
    if isinstance(value, dict):
        return ", ".join(f"{str(k).replace('_', ' ')}: {show(v)}" for k, v in value.items())
    if value is None:
        return "—"
    return str(value).replace("_", " ") if isinstance(value, str) and value.isidentifier() else str(value)


class Pages:
    def __init__(self, folder: Path = TEMPLATES) -> None:
        self._pages = Localised(FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined)
        for env in self._pages.environments.values():
            env.globals.update(show=show, outcomes=[o.value for o in Outcome], statement_languages=NATIVE_NAMES)

    def render(self, name: str, status_code: int = 200, language: str | None = None, **context: Any) -> HTMLResponse:
        """`name` in `language` (English when not served), with `lang` (the html element's) set to match."""
        context.setdefault("lang", negotiate(language))
        return HTMLResponse(self._pages.render(name, language, **context), status_code=status_code)
