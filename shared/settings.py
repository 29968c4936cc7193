"""Settings common to every service. Each service subclasses ServiceSettings with its own env prefix;
settings are read once in the service's bootstrap (read_settings), never at import time.

Any secret setting NAME may be given as NAME_FILE=/path instead (Docker secrets, the files under
var/secrets/): the value then never sits in the process environment.

DRR_ENV=production turns weak configuration into a refusal to start, each problem named by its
setting: no Kafka credentials, a short password, and whatever a service adds (production_problems).
"""

import os
import sys
from pathlib import Path
from typing import Any, Literal, Self, TypeVar, get_args

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shared.kafka import KafkaAccess
from shared.kafka_acls import ADMIN

S = TypeVar("S", bound="Settings")
MIN_SECRET_CHARS = 32
"""A generated secret is longer (var/secrets/ holds 64 hex characters); anything shorter was typed."""


class Settings(BaseSettings):
    """What every settings class shares: DRR_ENV, NAME_FILE for secrets, and the refusal to start in
    production while production_problems names any (each subclass adds its own, calling super())."""

    model_config = SettingsConfigDict(env_prefix="DRR_", extra="ignore")

    env: Literal["development", "production"] = Field("development", validation_alias="DRR_ENV")
    """`production`: refuse to start on a missing or weak secret, plain SMTP, unauthenticated Kafka."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, SecretFiles(settings_cls), dotenv_settings, file_secret_settings

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable that sets `field`."""
        return _env_name(cls, field)

    def production_problems(self) -> list[str]:
        """What DRR_ENV=production refuses; each subclass adds its own."""
        return []

    @model_validator(mode="after")
    def _refuse_weak_production(self) -> Self:
        if self.env == "production" and (problems := self.production_problems()):
            raise ValueError("DRR_ENV=production refuses to start:\n    " + "\n    ".join(problems))
        return self


class ServiceSettings(Settings):
    """A service's settings: its Kafka principal, and its log level."""

    kafka_bootstrap: str = Field("127.0.0.1:9092", validation_alias="DRR_KAFKA_BOOTSTRAP")
    kafka_ca_file: Path | None = Field(None, validation_alias="DRR_KAFKA_CA_FILE")
    """The CA that signed the broker's certificate (var/secrets/kafka-ca.pem locally); unset: system CAs."""
    kafka_username: str | None = None
    """This service's own principal (shared/kafka_acls.py); unset: an anonymous client, which the
    project's brokers refuse."""
    kafka_password: SecretStr | None = None
    log_level: str = Field("INFO", validation_alias="DRR_LOG_LEVEL")

    def kafka_access(self) -> KafkaAccess:
        password = self.kafka_password.get_secret_value() if self.kafka_password else None
        return KafkaAccess(self.kafka_bootstrap, self.kafka_username, password, self.kafka_ca_file)

    def production_problems(self) -> list[str]:
        problems, name = super().production_problems(), self.env_name
        if self.kafka_username is None or self.kafka_password is None:
            return [*problems, f"{name('kafka_username')} and {name('kafka_password')}: Kafka is not authenticated"]
        problems += weak_secret(name("kafka_password"), self.kafka_password)
        if self.kafka_ca_file is not None and not self.kafka_ca_file.is_file():
            problems.append(f"{name('kafka_ca_file')}: {self.kafka_ca_file} does not exist")
        return problems

    @model_validator(mode="after")
    def _complete_credentials(self) -> Self:
        if (self.kafka_username is None) != (self.kafka_password is None):
            raise ValueError(f"{self.env_name('kafka_username')} and {self.env_name('kafka_password')} go together")
        return self


KMS_URI_SCHEMES = ("gcp-kms://", "aws-kms://")
"""The key-encryption keys Tink reaches in a KMS (shared/case_crypto.py load_kek)."""


def kek_in_a_file(name: str, uri: str) -> list[str]:
    """A key-encryption key in a file sits beside what it protects: production keeps it in a KMS."""
    return [] if uri.startswith(KMS_URI_SCHEMES) else [f"{name}: a key-encryption key in a file; use a KMS key URI"]


def weak_secret(name: str, value: SecretStr | None, known: tuple[str, ...] = ()) -> list[str]:
    """Unset, shorter than MIN_SECRET_CHARS, or a value that was ever a default somewhere."""
    if value is None:
        return [f"{name} is not set"]
    secret = value.get_secret_value()
    if secret in known:
        return [f"{name} is a published default"]
    if len(secret) < MIN_SECRET_CHARS:
        return [f"{name} is shorter than {MIN_SECRET_CHARS} characters"]
    return []


class SecretFiles(PydanticBaseSettingsSource):
    """NAME_FILE=/path for every secret setting NAME: its value is the file's content (stripped)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything happens in __call__

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_name, field in self.settings_cls.model_fields.items():
            if SecretStr not in (field.annotation, *get_args(field.annotation)):
                continue
            variable = f"{_env_name(self.settings_cls, field_name)}_FILE"
            path = next((v for k, v in os.environ.items() if k.upper() == variable), None)
            if path:
                key = field.validation_alias if isinstance(field.validation_alias, str) else field_name
                values[key] = _read(variable, Path(path))
        return values


def _env_name(settings_cls: type[BaseSettings], field_name: str) -> str:
    alias = settings_cls.model_fields[field_name].validation_alias
    prefix = settings_cls.model_config.get("env_prefix", "")
    return (alias if isinstance(alias, str) else f"{prefix}{field_name}").upper()


def _read(variable: str, path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError as error:
        raise ValueError(f"{variable}: cannot read {path} ({error.strerror})") from None


def read_settings(settings_cls: type[S]) -> S:
    """The service's settings, or exit status 2 with one line per problem (each naming its setting)
    on stderr, not a traceback."""
    try:
        return settings_cls()
    except ValidationError as error:
        problems = [_problem(e["loc"], e["msg"]) for e in error.errors()]
    except ValueError as error:  # a _FILE that cannot be read
        problems = [str(error)]
    sys.stderr.write(f"{settings_cls.__name__}: configuration refused\n  " + "\n  ".join(problems) + "\n")
    sys.exit(2)


def _problem(location: tuple[int | str, ...], message: str) -> str:
    message = message.removeprefix("Value error, ")
    return f"{'.'.join(map(str, location))}: {message}" if location else message


class AdminSettings(ServiceSettings):
    """The admin principal, for operator commands and the topics job (env prefix DRR_ADMIN_). Unset
    locally (DRR_ENV not production), it is taken from the install's var/secrets/ (DRR_VAR_DIR)."""

    model_config = SettingsConfigDict(env_prefix="DRR_ADMIN_", extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _local_install(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("kafka_username") or os.environ.get("DRR_ENV") == "production":
            return data
        folder = Path(os.environ.get("DRR_VAR_DIR", "var")) / "secrets"
        password, ca = folder / "kafka-admin.password", folder / "kafka-ca.pem"
        if not password.is_file():
            return data
        local = {"kafka_username": ADMIN, "kafka_password": password.read_text().strip()}
        return {**local, **({"DRR_KAFKA_CA_FILE": str(ca)} if ca.is_file() else {}), **data}
