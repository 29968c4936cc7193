"""docker-compose.yml (and the Dockerfile and Prometheus files it uses) checked against the code.

No Docker engine is needed: the compose file is parsed, and every number or name it must agree on is
taken from the code (settings classes, deploy.local.stack.Ports, shared.topics), never restated here.
"""

import importlib.util
import os
import re
import tomllib
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from deploy.local.secrets import COMPOSE_SECRETS, LocalSecrets, compose_secrets
from deploy.local.stack import Ports
from services.audit.bootstrap import AuditSettings
from services.intake.bootstrap import IntakeSettings
from services.notifier.bootstrap import NotifierSettings
from services.router.bootstrap import RouterSettings
from shared.kafka import MECHANISM
from shared.kafka_acls import ADMIN, PRINCIPALS
from shared.kafka_acls import SERVICES as SERVICE_PRINCIPALS
from shared.settings import AdminSettings

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
LOOPBACK = "127.0.0.1"

APP_SERVICES: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "router": RouterSettings,
    "notifier": NotifierSettings,
    "audit": AuditSettings,
}
PORTS = Ports()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict) and isinstance(loaded.get("services"), dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


# --- helpers ---------------------------------------------------------------------------------------


def env_of(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as compose hands it to the container (values as strings)."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    out: dict[str, str] = {}
    for key, value in raw.items():
        if value is None:
            continue  # taken from the host's environment; nothing to check here
        out[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def publications(service: dict[str, Any]) -> list[tuple[str | None, int, int]]:
    """(host ip, host port, container port) for each published port, short or long syntax."""
    out: list[tuple[str | None, int, int]] = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            out.append((entry.get("host_ip"), int(entry["published"]), int(entry["target"])))
            continue
        spec = str(entry).split("/", 1)[0]
        parts = spec.rsplit(":", 2)
        if len(parts) == 3:
            out.append((parts[0] or None, int(parts[1]), int(parts[2])))
        elif len(parts) == 2:
            out.append((None, int(parts[0]), int(parts[1])))
        else:
            out.append((None, int(parts[0]), int(parts[0])))  # random host port, all interfaces
    return out


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert command is not None, "no command: the image's default CMD would run instead"
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def runs_module(command: list[str], module: str) -> bool:
    return any(command[i : i + 2] == ["-m", module] for i in range(len(command)))


def env_names(settings_class: type[BaseSettings]) -> dict[str, str]:
    """Every environment variable the settings class reads -> the field it sets (a secret's NAME_FILE too)."""
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    names: dict[str, str] = {}
    for field_name, field in settings_class.model_fields.items():
        alias = field.validation_alias
        name = alias if isinstance(alias, str) else f"{prefix}{field_name}"
        names[name.upper()] = field_name
        if is_secret(field_name, settings_class):
            names[f"{name.upper()}_FILE"] = field_name
    return names


def is_secret(field: str, settings_class: type[BaseSettings]) -> bool:
    annotation = settings_class.model_fields[field].annotation
    return SecretStr in (annotation, *get_args(annotation))


GENERATED: dict[str, Path] = {}


@pytest.fixture(scope="module", autouse=True)
def docker_secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files `python -m deploy.local.secrets compose` makes: what compose mounts under /run/secrets."""
    GENERATED["folder"] = compose_secrets(LocalSecrets(tmp_path_factory.mktemp("var") / "secrets"))
    return GENERATED["folder"]


def in_container(value: str) -> str:
    """A /run/secrets/<name> path as the test can read it (the generated file of that name)."""
    if not value.startswith(f"{COMPOSE_SECRETS}/"):
        return value
    return str(GENERATED["folder"] / value.removeprefix(f"{COMPOSE_SECRETS}/"))


def effective_settings(settings_class: type[BaseSettings], env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The settings the service would read inside its container (only the compose env set, its Docker
    secrets being the files the project's set-up code makes)."""
    for name in list(os.environ):
        if name.upper().startswith("DRR_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, in_container(value))
    return settings_class()


def default(settings_class: type[BaseSettings], field: str) -> Any:
    return settings_class.model_fields[field].default


def listeners(value: str) -> dict[str, tuple[str, int]]:
    """'NAME://host:port,...' -> {NAME: (host, port)}."""
    out: dict[str, tuple[str, int]] = {}
    for item in value.split(","):
        name, address = item.strip().split("://", 1)
        host, port = address.rsplit(":", 1)
        out[name] = (host, int(port))
    return out


# --- the four services -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_service_runs_its_module(services: dict[str, dict[str, Any]], name: str) -> None:
    assert name in services, f"no {name} service"
    service = services[name]
    assert "build" in service, f"{name} is not built from the repo's Dockerfile"
    assert runs_module(command_of(service), f"services.{name}")
    assert importlib.util.find_spec(f"services.{name}.__main__") is not None, (
        f"services/{name}/__main__.py does not exist: `python -m services.{name}` would fail"
    )


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_every_env_variable_is_a_real_setting(services: dict[str, dict[str, Any]], name: str) -> None:
    known = env_names(APP_SERVICES[name])
    unknown = sorted(set(env_of(services[name])) - set(known))
    assert not unknown, f"{name} sets variables its settings never read: {unknown}"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_env_values_parse_and_bind_all_interfaces(
    services: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = env_of(services[name])
    settings = effective_settings(APP_SERVICES[name], env, monkeypatch)  # raises on a bad value
    for variable, field in env_names(APP_SERVICES[name]).items():
        if variable in env:
            value = getattr(settings, field)
            value = value.get_secret_value() if isinstance(value, SecretStr) else value
            given, reference = env[variable], variable.endswith("_FILE") and is_secret(field, APP_SERVICES[name])
            expected = Path(in_container(given)).read_text().strip() if reference else in_container(given)
            assert str(value) == expected, f"{variable} did not set {field}"
    assert settings.host == "0.0.0.0", f"{name} binds {settings.host}: unreachable from outside its container"
    assert settings.kafka_bootstrap != default(APP_SERVICES[name], "kafka_bootstrap"), (
        f"{name} would look for Kafka on its own loopback"
    )


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_publishes_code_default_port_on_loopback(
    services: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    code_port = default(APP_SERVICES[name], "port")
    assert code_port == getattr(PORTS, name), f"{name}: settings default and stack Ports disagree"
    listening = effective_settings(APP_SERVICES[name], env_of(services[name]), monkeypatch).port
    assert (LOOPBACK, code_port, listening) in publications(services[name])


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_healthcheck_hits_healthz_on_the_service_port(
    services: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = services[name].get("healthcheck")
    assert check and not check.get("disable"), f"{name} has no healthcheck"
    test = check["test"]
    text = " ".join(test) if isinstance(test, list) else test
    assert not text.startswith("NONE")
    port = effective_settings(APP_SERVICES[name], env_of(services[name]), monkeypatch).port
    assert f"127.0.0.1:{port}/healthz" in text or f"localhost:{port}/healthz" in text
    assert "curl" not in text, "python:3.11-slim has no curl"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_services_wait_for_the_topics(services: dict[str, dict[str, Any]], name: str) -> None:
    depends = services[name].get("depends_on")
    assert isinstance(depends, dict), f"{name}: depends_on needs conditions (long syntax)"
    assert depends.get("topics", {}).get("condition") == "service_completed_successfully"


def test_services_reach_kafka_on_its_advertised_in_network_listener(
    services: dict[str, dict[str, Any]],
) -> None:
    advertised = listeners(env_of(services["kafka"])["KAFKA_ADVERTISED_LISTENERS"])
    in_network = {f"{host}:{port}" for host, port in advertised.values() if host == "kafka"}
    assert in_network, "Kafka advertises no address other containers can reach"
    for name in [*APP_SERVICES, "topics"]:
        bootstrap = env_of(services[name]).get("DRR_KAFKA_BOOTSTRAP")
        assert bootstrap in in_network, f"{name} bootstraps from {bootstrap}, not {in_network}"


# --- Kafka, topics, mail ---------------------------------------------------------------------------


def test_kafka_is_apache_kafka_4_0_in_kraft_mode(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    assert re.fullmatch(r"apache/kafka:4\.0\.\d+", kafka["image"])
    env = env_of(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "KAFKA_NODE_ID" in env and env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@")
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    bound = listeners(env["KAFKA_LISTENERS"])
    assert controller in bound
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].endswith(f":{bound[controller][1]}")
    assert "zookeeper" not in COMPOSE_FILE.read_text().lower()


def test_kafka_creates_no_topic_by_itself_and_fits_one_node(services: dict[str, dict[str, Any]]) -> None:
    env = env_of(services["kafka"])
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"].lower() == "false"
    for name in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[name] == "1", name
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"


def test_kafka_healthcheck_and_host_listener(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    test = " ".join(kafka["healthcheck"]["test"])
    assert "kafka-broker-api-versions.sh" in test
    env = env_of(kafka)
    bound = listeners(env["KAFKA_LISTENERS"])
    advertised = listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    published = {host_port: target for _, host_port, target in publications(kafka)}
    assert PORTS.kafka in published, "Kafka is not published on the code's default port"
    # The listener behind the host publication must send host clients back to the host address.
    behind = [name for name, (_, port) in bound.items() if port == published[PORTS.kafka]]
    assert len(behind) == 1
    assert advertised[behind[0]] == (LOOPBACK, PORTS.kafka)


def test_topics_job_creates_the_topics_once_kafka_is_healthy(services: dict[str, dict[str, Any]]) -> None:
    topics_job = services["topics"]
    assert "build" in topics_job or topics_job.get("image") == services["intake"].get("image")
    command = command_of(topics_job)
    assert runs_module(command, "deploy.local.kafka") and command[-1] == "topics"
    assert importlib.util.find_spec("deploy.local.kafka") is not None
    assert topics_job["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert topics_job.get("restart", "no") == "no", "a one-shot job must not restart"


def test_mail_catcher_smtp_is_on_the_code_default_smtp_port(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp_default = default(NotifierSettings, "smtp_port")
    assert smtp_default == PORTS.smtp, "notifier settings and stack Ports disagree on the SMTP port"
    notifier = effective_settings(NotifierSettings, env_of(services["notifier"]), monkeypatch)
    assert notifier.smtp_host in services, f"notifier sends mail to {notifier.smtp_host}, not a service"
    catcher = services[notifier.smtp_host]
    assert (LOOPBACK, smtp_default, notifier.smtp_port) in publications(catcher)
    assert catcher.get("healthcheck"), "the mail catcher needs a healthcheck to be waited for"
    depends = services["notifier"]["depends_on"]
    assert depends.get(notifier.smtp_host, {}).get("condition") == "service_healthy"


def test_every_published_port_binds_loopback_only(services: dict[str, dict[str, Any]]) -> None:
    seen: dict[int, str] = {}
    for name, service in services.items():
        for host_ip, host_port, _ in publications(service):
            assert host_ip == LOOPBACK, f"{name} publishes {host_port} on {host_ip or 'every interface'}"
            assert host_port not in seen, f"{name} and {seen.get(host_port)} both publish {host_port}"
            seen[host_port] = name


def mounts_of(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> volume (or host path) mounted there."""
    mounts = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume["source"], volume["target"]
        mounts[target] = source
    return mounts


def test_audit_ledger_is_postgresql_made_by_db_init_as_the_owner(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    services = compose["services"]
    settings = effective_settings(AuditSettings, env_of(services["audit"]), monkeypatch)
    assert settings.database_url is not None, "the audit service would use a SQLite file in the container"
    url = urlsplit(settings.database_url.get_secret_value())
    assert url.scheme == "postgresql" and url.hostname in services, "the database is not a compose service"
    database = services[url.hostname]
    assert str(database["image"]).startswith("postgres:") and database.get("healthcheck")
    assert mounts_of(database) and set(mounts_of(database).values()) <= set(compose.get("volumes") or {})
    init = services["audit-db-init"]
    command = command_of(init)
    assert command[:2] == ["sh", "-c"] and command[2].startswith("exec audit db-init --owner-url "), (
        "the schema and the service role are never made"
    )
    assert "audit" in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    owner_secret = re.fullmatch(r'.*"\$\$\(cat (/run/secrets/\w+)\)"', command[2])
    assert owner_secret and Path(owner_secret[1]).name in secrets_of(init), "the owner's URL is not a Docker secret"
    owner = urlsplit(Path(in_container(owner_secret[1])).read_text())
    assert owner.hostname == url.hostname and owner.path == url.path
    assert owner.username == env_of(database)["POSTGRES_USER"] != url.username, "the service must not own the schema"
    assert owner.password == Path(in_container(env_of(database)["POSTGRES_PASSWORD_FILE"])).read_text()
    assert env_of(init)["DRR_AUDIT_DATABASE_URL_FILE"] == env_of(services["audit"])["DRR_AUDIT_DATABASE_URL_FILE"]
    assert init["depends_on"][url.hostname]["condition"] == "service_healthy"
    assert services["audit"]["depends_on"]["audit-db-init"]["condition"] == "service_completed_successfully"


def test_the_audit_signing_key_lives_on_a_named_volume(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    audit = compose["services"]["audit"]
    key_path = effective_settings(AuditSettings, env_of(audit), monkeypatch).signing_key_path
    assert key_path.is_absolute()
    mounts = mounts_of(audit)
    holding = [target for target in mounts if key_path.is_relative_to(target)]
    assert holding, f"{key_path} is not on a volume: a new key (and a broken chain of checkpoints) on every start"
    assert mounts[holding[0]] in (compose.get("volumes") or {}), "not a named volume"
    assert re.search(r"mkdir -p[^\n]*" + re.escape(holding[0]), (REPO / "Dockerfile").read_text()), (
        "the image does not make the mount point for its non-root user"
    )


# --- image and monitoring --------------------------------------------------------------------------


def test_dockerfile_matches_the_project() -> None:
    text = (REPO / "Dockerfile").read_text()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    minor = re.search(r">=\s*3\.(\d+)", project["project"]["requires-python"])
    assert minor and re.search(rf"^FROM python:3\.{minor[1]}-slim\b", text, re.M)
    assert re.search(r"^RUN pip install [^\n]*?\.(\s|$)", text, re.M), "the image does not install the project"
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in {"root", "0"}, "the services must not run as root"
    copied = " ".join(re.findall(r"^COPY\s+(.+)$", text, re.M))
    for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert re.search(rf"(^|\s|\./){package}(/|\s)", copied), f"the image lacks the {package} package"


PROMETHEUS = REPO / "deploy" / "prometheus" / "prometheus.yml"


@pytest.mark.skipif(not PROMETHEUS.exists(), reason="no Prometheus configuration")
def test_prometheus_scrapes_every_service(services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    targets = {
        (target, job.get("metrics_path", "/metrics"))
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    for name, settings_class in APP_SERVICES.items():
        port = effective_settings(settings_class, env_of(services[name]), monkeypatch).port
        assert (f"{name}:{port}", "/metrics") in targets, f"{name} is not scraped"
    assert all(publication[0] == LOOPBACK for publication in publications(services["prometheus"]))


@pytest.mark.skipif(not PROMETHEUS.exists(), reason="no Prometheus configuration")
def test_alert_rules_exist_and_name_real_metrics() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    expressions = []
    for rule_file in config.get("rule_files", []):
        rules = yaml.safe_load((PROMETHEUS.parent / rule_file).read_text())
        expressions += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert any(re.fullmatch(r"up\s*==\s*0", expr.strip()) for expr in expressions), "no service-down alert"
    assert any("drr_notifier_dead_letters_total" in expr for expr in expressions), "no dead-letter alert"
    source = "\n".join(path.read_text() for path in (REPO / "services").rglob("*.py"))
    for expr in expressions:
        for metric in re.findall(r"\bdrr_\w+", expr):
            base = re.sub(r"_(total|bucket|sum|count|created)$", "", metric)
            assert f'"{base}' in source, f"alert on {metric}, which no service defines"


# --- secrets and Kafka security ---------------------------------------------------------------------


def secrets_of(service: dict[str, Any]) -> set[str]:
    return {entry if isinstance(entry, str) else entry["source"] for entry in service.get("secrets") or []}


SECRET_WORDS = re.compile(r"PASSWORD|SECRET|_URL$|KEY$", re.I)


def test_no_secret_is_a_literal(services: dict[str, dict[str, Any]]) -> None:
    """A secret setting is given as NAME_FILE (a Docker secret) or from the host's environment, never
    written into the compose file; Kafka's own configuration reads its passwords from the secrets too."""
    for name, service in services.items():
        for variable, value in env_of(service).items():
            if variable.endswith("_FILE") or not SECRET_WORDS.search(variable):
                continue
            assert value.startswith("${"), f"{name}: {variable} is a literal"
        for variable, value in env_of(service).items():
            for found in re.findall(r'password="([^"]*)"', value):
                assert found.startswith("$${dir:/run/secrets:"), f"{name}: a password in {variable}"
    text = COMPOSE_FILE.read_text()
    for old in ("drr-owner-local", "drr-audit-local", "change-me-local-only"):
        assert old not in text, f"the published value {old} is back"


def test_every_secret_a_service_reads_is_mounted_and_made_by_the_set_up_code(
    compose: dict[str, Any], docker_secrets: Path
) -> None:
    declared = compose.get("secrets") or {}
    for name, service in compose["services"].items():
        mentioned = set(re.findall(r"/run/secrets[/:](\w+)", yaml.safe_dump(service)))
        assert mentioned <= secrets_of(service), (
            f"{name} reads secrets it does not mount: {mentioned - secrets_of(service)}"
        )
        for secret in secrets_of(service):
            source = declared[secret]["file"]
            assert source == f"./var/secrets/compose/{secret}", f"{secret} is not made by deploy.local.secrets"
            assert (docker_secrets / secret).is_file(), f"deploy.local.secrets compose does not make {secret}"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_each_service_connects_as_its_own_principal_over_sasl_ssl(
    services: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = effective_settings(APP_SERVICES[name], env_of(services[name]), monkeypatch)
    options = settings.kafka_access().client_options()
    assert settings.kafka_username == name and name in SERVICE_PRINCIPALS
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == MECHANISM
    assert settings.kafka_password.get_secret_value() == LocalSecrets(GENERATED["folder"].parent).password(name)


def test_the_topics_job_acts_as_the_admin(services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    settings = effective_settings(AdminSettings, env_of(services["topics"]), monkeypatch)
    assert settings.kafka_username == ADMIN and settings.kafka_access().authenticated


def test_kafka_authenticates_every_client_listener_and_authorises_by_acl(services: dict[str, dict[str, Any]]) -> None:
    env = env_of(services["kafka"])
    protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    for listener in listeners(env["KAFKA_LISTENERS"]):
        expected = "SASL_PLAINTEXT" if listener == env["KAFKA_CONTROLLER_LISTENER_NAMES"] else "SASL_SSL"
        assert protocols[listener] == expected, listener
    assert listeners(env["KAFKA_LISTENERS"])[env["KAFKA_CONTROLLER_LISTENER_NAMES"]][0] == "localhost"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("authorizer.StandardAuthorizer")
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert set(env["KAFKA_SUPER_USERS"].split(";")) == {f"User:{ADMIN}", "User:controller"}


def test_the_storage_is_formatted_with_a_user_per_principal(services: dict[str, dict[str, Any]]) -> None:
    script = (REPO / "deploy" / "kafka" / "compose-format.sh").read_text()
    listed = re.search(r"for principal in ([\w ]+); do", script)
    assert listed and tuple(listed[1].split()) == PRINCIPALS
    job = services["kafka-format"]
    assert {f"kafka_{p}_password" for p in PRINCIPALS} <= secrets_of(job)
    assert services["kafka"]["depends_on"]["kafka-format"]["condition"] == "service_completed_successfully"
    assert env_of(job)["CLUSTER_ID"] == env_of(services["kafka"])["CLUSTER_ID"]
