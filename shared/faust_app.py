"""What the Faust services (router, notifier) share: app settings, health and metrics pages, raw
topics and a worker that logs JSON lines (dead-lettering: dead_letters.py).

Topics carry raw bytes; pydantic validates them at the edge (no faust.Record)."""

import asyncio
import logging
from pathlib import Path
from typing import Any, Literal

import faust
from faust.web import Request, Response, View

from shared import topics
from shared.case_crypto import CaseKeys
from shared.faust_consumer import StreamApp
from shared.faust_store import SCHEME
from shared.faust_web import BUILT_IN_VIEWS_OFF, OwnPagesApp
from shared.kafka import MECHANISM, KafkaAccess
from shared.logs import logging_config
from shared.metrics import exposition
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


class FaustSettings(ServiceSettings):
    host: str = "127.0.0.1"
    port: int = 8002
    session_timeout_s: float = 10.0
    """Low enough that a restarted worker gets its partitions back in seconds, not a minute."""
    store: Literal["rocksdb", "memory"] = "rocksdb"
    """Where table state lives: `rocksdb` on disk in `state_dir` (faust_store.py: memory stays flat as cases
    grow, a restart reads only the changelog written since); `memory` reads every changelog whole at start
    (the unit tests' choice)."""
    state_dir: Path = Path("var/state/service")
    """This worker's own folder (mode 0700): two workers never share one. Each service names its default."""


class ServiceApp(StreamApp, OwnPagesApp):
    """Both of our changes to faust.App: the head-checked consumer and no built-in web views."""


def make_app(app_id: str, settings: FaustSettings, **options: Any) -> StreamApp:
    """`options`: further faust settings for one service (e.g. producer batching), added to the common ones.
    The app's consumer never skips a message nor commits past one not handled (faust_consumer.py), and
    Faust's own web views are off (faust_web.py): the web port serves the pages the service adds, no more."""
    app = ServiceApp(
        app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=broker_credentials(settings.kafka_access()),
        store=f"{SCHEME}://" if settings.store == "rocksdb" else "memory://",
        datadir=private_dir(settings.state_dir),
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
        **BUILT_IN_VIEWS_OFF,
        **options,
    )
    _add_pages(app)
    return app


def private_dir(path: Path) -> Path:
    """Table state holds names, addresses and ciphertext: readable by this service's user alone."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def broker_credentials(access: KafkaAccess) -> faust.SASLCredentials | None:
    """SASL_SSL with SCRAM-SHA-512 as the service's own principal; None (anonymous) without credentials."""
    if not access.authenticated:
        return None
    return faust.SASLCredentials(
        username=access.username, password=access.password, ssl_context=access.ssl_context(), mechanism=MECHANISM
    )


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


def follow_case_keys(app: faust.App, keys: CaseKeys) -> None:
    """Both key topics read whole at start (or first by an agent that needs a key: agents may run before
    app tasks), then followed until the app stops."""

    async def read_case_keys() -> None:
        await keys.started()
        try:
            await asyncio.Event().wait()
        finally:
            await keys.stop()

    app.task(read_case_keys)


def raw_topic(app: faust.App, name: str) -> faust.TopicT:
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


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
