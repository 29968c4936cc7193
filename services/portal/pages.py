"""The portal's pages, rendered on the server from Jinja2 templates (templates/), escaped by default."""

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


class Pages:
    def __init__(self, folder: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=FileSystemLoader(folder), autoescape=select_autoescape(default=True), undefined=StrictUndefined
        )

    def render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self._env.get_template(name).render(**context), status_code=status_code)
