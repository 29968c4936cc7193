"""The console's pages, rendered on the server from Jinja2 templates (services/audit/templates/console/),
escaped by default, every visible string marked for translation (`{% trans %}`, `_()`). Until the Babel
catalogues are wired in, the strings are their own English translation."""

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "console"
STATIC = Path(__file__).resolve().parents[1] / "static"
ASSETS = {"console.css": "text/css", "console.js": "text/javascript", "verify.js": "text/javascript"}
"""The only files /console/static/ serves, with their media types."""


class Pages:
    def __init__(self, folder: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
        )
        self._env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]  # added by the extension

    def render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self._env.get_template(name).render(**context), status_code=status_code)
