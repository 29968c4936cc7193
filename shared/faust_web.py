"""Faust's web server with none of Faust's own views: each service serves only the pages it adds.

faust-streaming serves `/table/{name}/[{key}/]` (table contents as JSON: names, addresses, held clinical
alerts), `/router/`, a statistics page and an index on every worker's web port, unauthenticated. The
settings in `BUILT_IN_VIEWS_OFF` switch most of them off, but the production index at `/` has no setting,
so the web driver here is Faust's aiohttp one with no built-in blueprints at all. `routes(app)` lists what
a worker really serves (tests compare it with the README's table).
"""

from typing import Any

import faust
from faust.types.web import BlueprintT
from faust.web.base import Web
from faust.web.drivers.aiohttp import Web as AiohttpWeb
from mode.utils.imports import SymbolArg

BUILT_IN_VIEWS_OFF: dict[str, Any] = {
    "web_tables_enabled": False,
    "web_router_enabled": False,
    "web_stats_enabled": False,
    "web_graph_enabled": False,
    "web_metrics_enabled": False,
}
NONE: list[tuple[str, SymbolArg[BlueprintT]]] = []


class OwnPagesOnly(AiohttpWeb):
    """Serves the app's own pages (`app.page`) and nothing Faust adds by itself."""

    default_blueprints = NONE
    production_blueprints = NONE
    debug_blueprints = NONE
    optional_blueprints = NONE


class OwnPagesApp(faust.App):
    """A Faust app whose web server is `OwnPagesOnly`."""

    def _new_web(self) -> Web:
        return OwnPagesOnly(self)


def routes(app: faust.App) -> set[tuple[str, str]]:
    """(method, path) for every route the worker serves, set up as `faust worker` sets it up."""
    web = app.web
    assert isinstance(web, AiohttpWeb)
    web.init_server()
    return {(route.method, route.resource.canonical) for route in web.web_app.router.routes() if route.resource}
