"""Per-install secrets under var/secrets/ (folder 0700, files 0600): made on first use, then reused,
so nothing secret is fixed in the code or the repository.

- kafka-<principal>.password: one SCRAM-SHA-512 password per principal (shared/kafka_acls.py), and
  kafka-controller.password for the broker's own controller listener;
- kafka-ca.pem, kafka-ca-key.pem, kafka-broker.pem: the local CA and the broker's key and certificate;
- kafka-<principal>.properties: client settings for Kafka's console tools (kafka-tools), per principal;
- notifier-ack-key: the acknowledgement links' HMAC key.
The audit service's signing key is var/audit-signing-key.pem, made the same way by the audit service.

`python -m deploy.local.secrets` makes them all and prints where they are; `... compose` also writes
var/secrets/compose/, the Docker secrets docker-compose.yml mounts (same passwords and certificates, plus
the PostgreSQL passwords and URLs, and the admin's client settings as seen inside a container).
"""

import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from deploy.local.private_files import made_once, write_private
from deploy.local.tls import LocalTls
from shared.kafka import MECHANISM, KafkaAccess
from shared.kafka_acls import ADMIN, PRINCIPALS

SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule"
CONTROLLER = "controller"
"""The broker's principal on its own controller listener (SASL PLAIN on 127.0.0.1): never a client's."""


@dataclass(frozen=True)
class LocalSecrets:
    folder: Path

    @property
    def tls(self) -> LocalTls:
        return LocalTls(self.folder).ensure()

    def password_file(self, principal: str) -> Path:
        made_once(self.folder / f"kafka-{principal}.password", lambda: secrets.token_hex(32).encode())
        return self.folder / f"kafka-{principal}.password"

    def password(self, principal: str) -> str:
        return self.password_file(principal).read_text().strip()

    def access(self, principal: str, bootstrap: str) -> KafkaAccess:
        return KafkaAccess(bootstrap, principal, self.password(principal), self.tls.ca_file)

    @property
    def ack_key_file(self) -> Path:
        made_once(self.folder / "notifier-ack-key", lambda: secrets.token_urlsafe(48).encode())
        return self.folder / "notifier-ack-key"

    def client_properties(self, principal: str, bootstrap: str) -> Path:
        """A client.properties for the console consumer and the other Kafka tools, as `principal`."""
        path = self.folder / f"kafka-{principal}.properties"
        jaas = f'{SCRAM_LOGIN} required username="{principal}" password="{self.password(principal)}";'
        lines = [
            f"# {principal} on {bootstrap}: kafka-console-consumer --command-config / --consumer.config",
            f"bootstrap.servers={bootstrap}",
            "security.protocol=SASL_SSL",
            f"sasl.mechanism={MECHANISM}",
            f"sasl.jaas.config={jaas}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={self.tls.ca_file}",
        ]
        write_private(path, ("\n".join(lines) + "\n").encode())
        return path

    def ensure(self) -> "LocalSecrets":
        for principal in (*PRINCIPALS, CONTROLLER):
            self.password_file(principal)
        self.tls.ensure()
        self.ack_key_file.exists()
        return self


COMPOSE_SECRETS = "/run/secrets"
"""Where compose mounts Docker secrets inside a container."""


def compose_secrets(local: LocalSecrets) -> Path:
    """var/secrets/compose/<secret name>: one file per Docker secret docker-compose.yml declares."""
    folder, tls = local.folder / "compose", local.ensure().tls
    owner = made_once(local.folder / "postgres-owner.password", lambda: secrets.token_hex(32).encode()).decode()
    service = made_once(local.folder / "postgres-audit.password", lambda: secrets.token_hex(32).encode()).decode()
    files = {f"kafka_{p}_password": local.password(p) for p in (*PRINCIPALS, CONTROLLER)}
    files |= {
        "kafka_ca": tls.ca_file.read_text(),
        "kafka_broker_pem": tls.broker_key_store.read_text(),
        "notifier_ack_key": local.ack_key_file.read_text(),
        "postgres_owner_password": owner,
        "audit_owner_url": f"postgresql://drr_owner:{owner}@postgres:5432/drr_audit",
        "audit_database_url": f"postgresql://drr_audit:{service}@postgres:5432/drr_audit",
        "kafka_admin_properties": _container_properties(local.password(ADMIN)),
    }
    for name, content in files.items():
        write_private(folder / name, content.encode())
    return folder


def _container_properties(password: str) -> str:
    jaas = f'{SCRAM_LOGIN} required username="{ADMIN}" password="{password}";'
    lines = ["security.protocol=SASL_SSL", f"sasl.mechanism={MECHANISM}", f"sasl.jaas.config={jaas}"]
    return "\n".join([*lines, "ssl.truststore.type=PEM", f"ssl.truststore.location={COMPOSE_SECRETS}/kafka_ca", ""])


def main(argv: list[str]) -> None:
    local = LocalSecrets(Path(os.environ.get("DRR_VAR_DIR", "var")) / "secrets").ensure()
    print(f"secrets in {local.folder} (admin: kafka-{ADMIN}.password)", file=sys.stdout)
    if argv[:1] == ["compose"]:
        print(f"Docker secrets for docker-compose.yml in {compose_secrets(local)}", file=sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
