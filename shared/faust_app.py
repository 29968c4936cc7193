"""What the Faust services (router, notifier) share: app settings, health and metrics pages, raw
topics, dead-lettering and a worker that logs JSON lines.

Topics carry raw bytes; pydantic validates them at the edge (no faust.Record)."""

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import faust
from faust.web import Request, Response, View
from pydantic import ValidationError

from shared import topics
from shared.faust_consumer import StreamApp
from shared.logs import logging_config
from shared.metrics import exposition
from shared.settings import ServiceSettings

T = TypeVar("T")
log = logging.getLogger(__name__)


class FaustSettings(ServiceSettings):
    host: str = "127.0.0.1"
    port: int = 8002
    session_timeout_s: float = 10.0
    """Low enough that a restarted worker gets its partitions back in seconds, not a minute."""


def make_app(app_id: str, settings: FaustSettings, **options: Any) -> StreamApp:
    """`options`: further faust settings for one service (e.g. producer batching), added to the common ones.
    The app's consumer never skips a message nor commits past one not handled (faust_consumer.py)."""
    app = StreamApp(
        app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        topic_partitions=topics.PARTITIONS,
        topic_allow_declare=False,
        producer_acks=-1,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 3),
        broker_rebalance_timeout=settings.session_timeout_s * 2,
        consumer_auto_offset_reset="earliest",
        web_host=settings.host,
        web_port=settings.port,
        web_bind=settings.host,
        web_in_thread=False,
        autodiscover=False,
        **options,
    )
    _add_pages(app)
    return app


def _add_pages(app: faust.App) -> None:
    @app.page("/healthz")
    class Health(View):
        async def get(self, request: Request) -> Response:
            ready = bool(app.consumer.assignment()) and not app.rebalancing
            status = 200 if ready else 503
            return self.json({"status": "ok" if ready else "starting"}, status=status)

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            body, content_type = exposition()
            # aiohttp wants the charset apart from the media type
            media_type = ";".join(p for p in content_type.split(";") if "charset" not in p)
            return self.bytes(body, content_type=media_type.strip())


def raw_topic(app: faust.App, name: str) -> faust.TopicT:
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


async def parse_or_dead_letter(
    parse: Callable[[bytes], T], raw: bytes, dead_letters: faust.TopicT, source: str
) -> T | None:
    """Parse a message; send what does not parse to the dead-letter topic (with its error) and go on."""
    try:
        return parse(raw)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        log.warning("dead-lettered an unparseable message", extra={"source": source, "error": type(exc).__name__})
        await dead_letters.send(value=raw, headers=[("source", source.encode()), ("error", error_summary(exc))])
        return None


def error_summary(exc: ValueError) -> bytes:
    """Where and why parsing failed, without echoing the input (it may hold personal data)."""
    if isinstance(exc, ValidationError):
        return json.dumps(exc.errors(include_input=False, include_url=False, include_context=False)).encode()
    return type(exc).__name__.encode()


def run_worker(app: faust.App, service: str, level: str) -> None:
    worker = faust.Worker(
        app,
        loglevel=level,
        logging_config=logging_config(service, level),
        quiet=True,
        redirect_stdouts=False,
    )
    # at WARNING and above faust sets up a terminal spinner that turns the root logger to DEBUG, so every
    # debug call (one per message produced) builds a record that is then thrown away
    worker.spinner = None
    worker.execute_from_commandline()
