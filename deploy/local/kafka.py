"""A real single-node Apache Kafka broker (KRaft) from the jars Maven fetched into deploy/kafka/lib,
secured as in production: SASL_SSL with SCRAM-SHA-512 users made when the storage is formatted, the
install's own CA and broker certificate, and the StandardAuthorizer holding shared/kafka_acls.py.

`python -m deploy.local.kafka start|stop|topics` for people, and `consume TOPIC [tool options]` (Kafka's
console consumer as the admin principal: `consume drr.events --from-beginning`); KafkaNode for the stack
and the tests.
"""

import asyncio
import base64
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from deploy.local.private_files import write_private
from deploy.local.processes import Process, port_open, wait_until
from deploy.local.secrets import CONTROLLER, LocalSecrets
from shared.acl_requests import apply_acls, held_acls, row
from shared.kafka import MECHANISM, create_topics
from shared.kafka_acls import ADMIN, PRINCIPALS, grants
from shared.settings import AdminSettings

KAFKA_DIR = Path(__file__).resolve().parents[1] / "kafka"
LIB = KAFKA_DIR / "lib"
CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer"


@dataclass
class KafkaNode:
    home: Path
    port: int = 9092
    controller_port: int = 9093
    process: Process | None = None
    secrets: LocalSecrets = field(default=None)  # type: ignore[assignment]  # set in __post_init__
    """Passwords and certificates; by default var/secrets/ beside the node's folder (var/kafka)."""

    def __post_init__(self) -> None:
        if self.secrets is None:
            self.secrets = LocalSecrets(self.home.parent / "secrets")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client_options(self, principal: str = ADMIN) -> dict[str, object]:
        """Connection options for an aiokafka client (producer, consumer, admin) acting as `principal`
        (shared/kafka_acls.py): tests and tools build raw clients through here, so how the broker is
        secured lives in one place."""
        return self.secrets.access(principal, self.bootstrap).client_options()

    def service_env(self, service: str) -> dict[str, str]:
        """What `python -m services.<service>` needs to reach this broker as its own principal."""
        return self.env(f"DRR_{service.upper()}_", service)

    def env(self, prefix: str, principal: str) -> dict[str, str]:
        """The settings a service (env prefix `prefix`, e.g. DRR_ROUTER_) needs to connect as `principal`:
        the password as a file reference, never its value in the environment."""
        return {
            "DRR_KAFKA_BOOTSTRAP": self.bootstrap,
            "DRR_KAFKA_CA_FILE": str(self.secrets.tls.ca_file),
            f"{prefix}KAFKA_USERNAME": principal,
            f"{prefix}KAFKA_PASSWORD_FILE": str(self.secrets.password_file(principal)),
        }

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    def start(self, timeout_s: float = 90) -> Process:
        if not any(LIB.glob("kafka_2.13-*.jar")):
            raise RuntimeError(f"no Kafka jars in {LIB}: run `make setup`")
        self.home.mkdir(parents=True, exist_ok=True)
        self.secrets.ensure()
        properties = self._write_properties()
        if not (self.home / "data" / "meta.properties").exists():
            self._java("kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(properties), *self._users())
        process = Process("kafka", self._java_argv("kafka.Kafka", str(properties)), self.home / "kafka.log")
        self.process = process.start()
        self.pid_file.write_text(str(process.pid))
        wait_until(lambda: port_open(self.port), timeout_s, "kafka", process.alive)
        asyncio.run(_retrying_set_up(self.client_options(ADMIN), timeout_s))
        for principal in PRINCIPALS:
            self.secrets.client_properties(principal, self.bootstrap)
        return process

    def _users(self) -> list[str]:
        """--add-scram for every principal: users exist before the broker first starts (KIP-900)."""
        return [
            arg
            for principal in PRINCIPALS
            for arg in ("--add-scram", f"{MECHANISM}=[name={principal},password={self.secrets.password(principal)}]")
        ]

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
        tls = self.secrets.tls
        text = text.format(
            admin_password=self.secrets.password(ADMIN),
            controller_password=self.secrets.password(CONTROLLER),
            broker_key_store=tls.broker_key_store,
            ca_file=tls.ca_file,
        )
        path = self.home / "server.properties"
        write_private(path, text.encode())  # it holds the admin's and the controller's passwords
        return path

    def console_consumer(self, topic: str, *options: str, principal: str = ADMIN) -> list[str]:
        """The command line of Kafka's console consumer (kafka-tools) reading `topic` as `principal`; a topic
        given as `/regex/` reads every topic it matches (`--include`)."""
        config = self.secrets.client_properties(principal, self.bootstrap)
        which = ["--include", topic[1:-1]] if topic.startswith("/") and topic.endswith("/") else ["--topic", topic]
        return self._java_argv(CONSOLE_CONSUMER, "--bootstrap-server", self.bootstrap,
                               "--consumer.config", str(config), *which, *options)  # fmt: skip

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


async def set_up(admin: dict[str, object]) -> None:
    """As the admin principal: every topic, and exactly the ACLs shared/kafka_acls.py grants, in force.

    Creating an ACL returns once it is in the metadata log, a moment before the broker's authorizer holds
    it: a client that came at once (a benchmark's producer) was refused (ClusterAuthorizationFailed for its
    producer id). So this waits until the broker describes every grant back."""
    await create_topics(admin)
    wanted = grants()
    await apply_acls(admin, wanted)
    rows = {row(grant) for grant in wanted}
    for _ in range(100):
        if rows <= await held_acls(admin):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the broker does not hold the ACLs it was given")


async def _retrying_set_up(admin: dict[str, object], timeout_s: float) -> None:
    """The port opens before the broker serves metadata: retry until topics and ACLs are in place."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            await set_up(admin)
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
        # the admin principal from the environment (compose's topics job), as operator commands do
        asyncio.run(set_up(AdminSettings().kafka_access().client_options()))
        print("topics and ACLs in place")
    elif command == "consume" and len(argv) > 1:
        os.execvp("java", node.console_consumer(argv[1], *argv[2:]))
    else:
        sys.exit("usage: python -m deploy.local.kafka start|stop|topics|consume TOPIC [console consumer options]")


if __name__ == "__main__":
    main(sys.argv[1:])
