"""A real single-node Apache Kafka broker (KRaft) from the jars Maven fetched into deploy/kafka/lib.

`python -m deploy.local.kafka start|stop|topics` for people; KafkaNode for the stack and the tests.
"""

import asyncio
import base64
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from deploy.local.processes import Process, port_open, wait_until
from shared.kafka import create_topics

KAFKA_DIR = Path(__file__).resolve().parents[1] / "kafka"
LIB = KAFKA_DIR / "lib"


@dataclass
class KafkaNode:
    home: Path
    port: int = 9092
    controller_port: int = 9093
    process: Process | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client_options(self, principal: str = "admin") -> dict[str, object]:
        """Connection options for an aiokafka client (producer, consumer, admin) acting as `principal`:
        tests and tools build raw clients through here, so how the broker is secured lives in one place."""
        return {"bootstrap_servers": self.bootstrap}

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    def start(self, timeout_s: float = 90) -> Process:
        if not any(LIB.glob("kafka_2.13-*.jar")):
            raise RuntimeError(f"no Kafka jars in {LIB}: run `make setup`")
        self.home.mkdir(parents=True, exist_ok=True)
        properties = self._write_properties()
        if not (self.home / "data" / "meta.properties").exists():
            self._java("kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(properties))
        process = Process("kafka", self._java_argv("kafka.Kafka", str(properties)), self.home / "kafka.log")
        self.process = process.start()
        self.pid_file.write_text(str(process.pid))
        wait_until(lambda: port_open(self.port), timeout_s, "kafka", process.alive)
        asyncio.run(_retrying_create_topics(self.bootstrap, timeout_s))
        return process

    def stop(self, grace_s: float = 30) -> None:
        """Stop the broker we started, or else the one the pid file names (SIGTERM, then SIGKILL)."""
        if self.process is not None:
            self.process.stop(grace_s)
            self.process = None
            self.pid_file.unlink(missing_ok=True)
            return
        if not self.pid_file.exists():
            return
        pid = int(self.pid_file.read_text())
        _signal(pid, signal.SIGTERM)
        try:
            wait_until(lambda: not _running(pid), grace_s, "kafka stop")
        except TimeoutError:
            _signal(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)

    def _write_properties(self) -> Path:
        text = (KAFKA_DIR / "server.properties").read_text()
        text = text.replace(":9092", f":{self.port}").replace(":9093", f":{self.controller_port}")
        text = text.replace("log.dirs=var/kafka/data", f"log.dirs={self.home / 'data'}")
        path = self.home / "server.properties"
        path.write_text(text)
        return path

    def _java_argv(self, main: str, *args: str) -> list[str]:
        logging = f"-Dlog4j.configuration=file:{KAFKA_DIR / 'log4j.properties'}"
        heap = os.environ.get("DRR_KAFKA_HEAP", "-Xmx768m")
        return ["java", heap, logging, "-cp", f"{LIB}/*", main, *args]

    def _java(self, main: str, *args: str) -> None:
        subprocess.run(self._java_argv(main, *args), check=True, capture_output=True)


def _cluster_id() -> str:
    """Kafka's base64 uuid; never starting with "-", which the storage tool would read as an option."""
    while (cluster_id := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"):
        pass
    return cluster_id


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


async def _retrying_create_topics(bootstrap: str, timeout_s: float) -> None:
    """The port opens before the broker serves metadata: retry until topics are created."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            await create_topics(bootstrap)
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(1)


def main(argv: list[str]) -> None:
    node = KafkaNode(Path(os.environ.get("DRR_VAR_DIR", "var")) / "kafka")
    command = argv[0] if argv else "start"
    if command == "start":
        node.start()
        print(f"kafka up at {node.bootstrap} (pid file {node.pid_file})")
    elif command == "stop":
        node.stop()
    elif command == "topics":
        print(asyncio.run(create_topics(os.environ.get("DRR_KAFKA_BOOTSTRAP", node.bootstrap))))
    else:
        sys.exit("usage: python -m deploy.local.kafka start|stop|topics")


if __name__ == "__main__":
    main(sys.argv[1:])
