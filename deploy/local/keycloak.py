"""A real Keycloak server, the identity provider the practitioners' portal signs in against (issue 15), from the
distribution Maven unpacked into deploy/keycloak/dist (`make setup`), with the `drr` realm of
deploy/keycloak/realm.json: the demo practitioners, an oversight user and the portal's client.

Every listener is on 127.0.0.1: http (`--http-port`), the management interface with /health
(`--http-management-port`), and the embedded H2 database opens no TCP port (no AUTO_SERVER). Keycloak's caches
are local (no JGroups cluster ports). The server's data (H2 database, the filled realm) and its log live in the
node's folder (var/keycloak/); the bootstrap admin's password, the portal client's secret and every demo user's
password are made on the first start under var/secrets/ (0700, files 0600) and reused after.
The realm is imported at the first start in a folder only (Keycloak then skips a realm it already holds): after
a change to realm.json or to the portal's port, remove var/keycloak/ (the secrets under var/secrets/ stay).

`python -m deploy.local.keycloak` runs it in the foreground (Ctrl-C stops it) and prints the sign-in details;
KeycloakNode for `make run` and the tests.
"""

import fcntl
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.local.private_files import made_once, write_private
from deploy.local.processes import Process, http_ok, wait_until

KEYCLOAK_DIR = Path(__file__).resolve().parents[1] / "keycloak"
REALM_TEMPLATE = KEYCLOAK_DIR / "realm.json"
REALM = "drr"
CLIENT_ID = "drr-portal"
ADMIN = "admin"
"""The bootstrap admin of the `master` realm (Keycloak's own console at /admin)."""
BUILD_OPTIONS = {"kc.db": "dev-file", "kc.health-enabled": "true", "kc.profile": "prod"}
"""Build-time options (`kc.sh build`, persisted in the distribution): production mode with its file database."""
PORTAL_SECRET = "keycloak-portal-client.secret"
CONSOLE_CLIENT_ID = "drr-oversight"
"""The audit service's own client, for the oversight console (services/audit/console)."""
CONSOLE_SECRET = "keycloak-oversight-client.secret"
"""The portal client's secret, in the secrets folder."""
SHARED_LINKS = ("conf", "lib", "providers", "themes")
"""What a node's home takes from the distribution; its own `data/` holds the database and the realm to import."""


def version() -> str:
    """The Keycloak version deploy/keycloak/pom.xml fetches.

    26.4.5 runs on this project's Java 17 (the 26.x series still supports 17, deprecated); 25.0.6 is the fallback.
    """
    pom = (KEYCLOAK_DIR / "pom.xml").read_text()
    found = re.search(r"<keycloak\.version>([^<]+)</keycloak\.version>", pom)
    if found is None:
        raise RuntimeError("deploy/keycloak/pom.xml names no keycloak.version")
    return found.group(1)


def distribution() -> Path:
    return KEYCLOAK_DIR / "dist" / f"keycloak-{version()}"


@dataclass(frozen=True)
class DemoUser:
    """A demo sign-in, as the realm holds it: the portal reads the same values from the ID token's claims."""

    username: str
    password: str
    name: str
    email: str
    roles: tuple[str, ...]
    practitioner_id: str | None = None
    agency: str | None = None


@dataclass(frozen=True)
class PortalClient:
    """What the portal needs to sign people in (authorization code flow with PKCE S256, client secret)."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


@dataclass
class KeycloakNode:
    home: Path
    port: int = 8180
    management_port: int = 8190
    portal_port: int = 8005
    """The portal's port on 127.0.0.1: the client's only redirect URI is http://127.0.0.1:{portal_port}/auth/callback."""
    audit_port: int = 8004
    """The audit service's port on 127.0.0.1: the console client's redirect URI is on it."""
    secrets_dir: Path = field(default=None)  # type: ignore[assignment]  # set in __post_init__
    """Where the passwords and the client secret are made; by default var/secrets/ beside var/keycloak."""
    process: Process | None = None

    def __post_init__(self) -> None:
        if self.secrets_dir is None:
            self.secrets_dir = self.home.parent / "secrets"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{REALM}"

    @property
    def portal(self) -> PortalClient:
        portal = f"http://127.0.0.1:{self.portal_port}"
        secret = self._secret(PORTAL_SECRET)
        return PortalClient(self.issuer, CLIENT_ID, secret, f"{portal}/auth/callback", f"{portal}/")

    def portal_env(self) -> dict[str, str]:
        """The settings services/portal needs to sign people in here (the secret as a file reference)."""
        portal = self.portal  # makes the client secret on first use
        return {
            "DRR_PORTAL_ISSUER_URL": portal.issuer,
            "DRR_PORTAL_CLIENT_ID": CLIENT_ID,
            "DRR_PORTAL_CLIENT_SECRET_FILE": str(self.secrets_dir / PORTAL_SECRET),
            "DRR_PORTAL_PUBLIC_URL": f"http://127.0.0.1:{self.portal_port}",
        }

    @property
    def console(self) -> PortalClient:
        audit = f"http://127.0.0.1:{self.audit_port}"
        secret = self._secret(CONSOLE_SECRET)
        return PortalClient(self.issuer, CONSOLE_CLIENT_ID, secret, f"{audit}/auth/callback", f"{audit}/console/")

    def console_env(self) -> dict[str, str]:
        """The settings the audit service needs to serve the oversight console signed in here."""
        console = self.console  # makes the client secret on first use
        return {
            "DRR_AUDIT_CONSOLE_ISSUER_URL": console.issuer,
            "DRR_AUDIT_CONSOLE_CLIENT_ID": CONSOLE_CLIENT_ID,
            "DRR_AUDIT_CONSOLE_CLIENT_SECRET_FILE": str(self.secrets_dir / CONSOLE_SECRET),
            "DRR_AUDIT_CONSOLE_PUBLIC_URL": f"http://127.0.0.1:{self.audit_port}",
        }

    @property
    def admin_password(self) -> str:
        return self._secret(f"keycloak-{ADMIN}.password")

    def users(self) -> list[DemoUser]:
        """The realm's demo users, each with the password made for it in this install."""
        return [self._demo_user(user) for user in json.loads(REALM_TEMPLATE.read_text())["users"]]

    def start(self, timeout_s: float = 240) -> Process:
        """Start the server and wait until the realm's discovery document answers (the first start in a fresh
        folder creates the database and imports the realm: a minute or more on two cores)."""
        dist = distribution()
        if not (dist / "lib" / "quarkus-run.jar").exists():
            raise RuntimeError(f"no Keycloak in {dist}: run `make setup`")
        self._prepare_home(dist)
        _ensure_built(dist, self.home / "keycloak.log", timeout_s)
        env = {"KC_BOOTSTRAP_ADMIN_USERNAME": ADMIN, "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password}
        process = Process("keycloak", self._argv(dist), self.home / "keycloak.log", env=env)
        self.process = process.start()
        self.pid_file.write_text(str(process.pid))
        wait_until(lambda: http_ok(self.portal.discovery_url), timeout_s, "keycloak", process.alive)
        return process

    def stop(self, grace_s: float = 30) -> None:
        """Stop the server we started (SIGTERM, then SIGKILL after the grace period)."""
        if self.process is not None:
            self.process.stop(grace_s)
            self.process = None
        self.pid_file.unlink(missing_ok=True)

    @property
    def pid_file(self) -> Path:
        return self.home / "keycloak.pid"

    def sign_in_details(self) -> str:
        """What `make run` prints: where to sign in, and as whom."""
        lines = [f"keycloak  {self.url}/admin  (admin / {self.admin_password}); realm {REALM}: {self.issuer}"]
        for user in self.users():
            who = f"{user.agency} {user.practitioner_id}" if user.practitioner_id else ", ".join(user.roles)
            lines.append(f"          {user.username} / {user.password}  ({user.name}, {who})")
        settings = " ".join(f"{name}={value}" for name, value in self.portal_env().items())
        lines.append(f"          the portal's settings: {settings}")
        return "\n".join(lines)

    def _prepare_home(self, dist: Path) -> None:
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)  # the database holds password hashes and the realm file the secrets
        for name in SHARED_LINKS:
            link = self.home / name
            if link.is_symlink() and link.resolve() != (dist / name).resolve():
                link.unlink()  # a distribution of another version
            if not link.is_symlink():
                link.symlink_to(dist / name, target_is_directory=True)
        write_private(self.home / "data" / "import" / f"{REALM}-realm.json", json.dumps(self._realm()).encode())

    def _realm(self) -> dict[str, Any]:
        """realm.json with this install's secrets and the portal's URIs in place of its {{...}} markers."""
        portal = self.portal
        values = {
            "portal_client_secret": portal.client_secret,
            "portal_url": f"http://127.0.0.1:{self.portal_port}",
            "portal_redirect_uri": portal.redirect_uri,
            "portal_post_logout_redirect_uri": portal.post_logout_redirect_uri,
        }
        realm = json.loads(REALM_TEMPLATE.read_text())
        for user in realm["users"]:  # each user's {{password}} first: its own
            user["credentials"] = _filled(user["credentials"], {"password": self._password(user["username"])})
        realm = dict(_filled(realm, values))
        realm["clients"].append(self._console_client(realm["clients"][0]))
        for profile in realm["components"]["org.keycloak.userprofile.UserProfileProvider"]:
            config = profile["config"]  # Keycloak wants the user profile as one JSON string
            config["kc.user.profile.config"] = [json.dumps(item) for item in config["kc.user.profile.config"]]
        return realm

    def _console_client(self, portal: dict[str, Any]) -> dict[str, Any]:
        """The console's client: the portal's (same flow, PKCE, claims), with its own id, secret and URIs."""
        console = self.console
        audit = f"http://127.0.0.1:{self.audit_port}"
        attributes = {**portal["attributes"], "post.logout.redirect.uris": console.post_logout_redirect_uri}
        return {**portal, "clientId": console.client_id, "name": "DRR oversight console (audit service)",
                "secret": console.client_secret, "rootUrl": audit, "baseUrl": f"{audit}/console/",
                "redirectUris": [console.redirect_uri], "attributes": attributes}  # fmt: skip

    def _demo_user(self, user: dict[str, Any]) -> DemoUser:
        attributes = user.get("attributes", {})
        return DemoUser(
            username=user["username"],
            password=self._password(user["username"]),
            name=f"{user['firstName']} {user['lastName']}",
            email=user["email"],
            roles=tuple(user.get("realmRoles", ())),
            practitioner_id=attributes.get("practitioner_id", [None])[0],
            agency=attributes.get("agency", [None])[0],
        )

    def _password(self, username: str) -> str:
        return self._secret(f"keycloak-user-{username}.password")

    def _secret(self, name: str) -> str:
        return made_once(self.secrets_dir / name, lambda: secrets.token_urlsafe(24).encode()).decode().strip()

    def _argv(self, dist: Path) -> list[str]:
        options = [
            "start",
            "--optimized",
            "--http-enabled=true",
            "--http-host=127.0.0.1",
            f"--http-port={self.port}",
            "--http-management-host=127.0.0.1",
            f"--http-management-port={self.management_port}",
            f"--hostname={self.url}",
            "--cache=local",
            "--db-url-properties=;NON_KEYWORDS=VALUE",
            "--import-realm",
        ]
        return _java_argv(dist, self.home, *options)


def _filled(template: Any, values: dict[str, str]) -> Any:
    """`template` with every "{{name}}" in its strings replaced by values[name] (a missing name is an error)."""
    if isinstance(template, dict):
        return {key: _filled(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [_filled(item, values) for item in template]
    if isinstance(template, str):
        return re.sub(r"\{\{(\w+)\}\}", lambda marker: values[marker.group(1)], template)
    return template


def _java_argv(dist: Path, home: Path, *options: str) -> list[str]:
    """What bin/kc.sh runs, without the shell in between: the server is then the process we signal and stop
    (kc.sh runs java as its child, which a SIGKILL of kc.sh would leave behind)."""
    heap = os.environ.get("DRR_KEYCLOAK_HEAP", "-Xmx512m").split()
    return [
        "java",
        "-Xms64m",
        *heap,
        "-XX:MetaspaceSize=96M",
        "-XX:MaxMetaspaceSize=256m",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:+UseG1GC",
        "-Dfile.encoding=UTF-8",
        "-Djava.security.egd=file:/dev/urandom",
        "-Duser.language=en",
        "-Duser.country=US",
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
        "--add-opens=java.base/java.security=ALL-UNNAMED",
        "-Djava.util.concurrent.ForkJoinPool.common.threadFactory="
        "io.quarkus.bootstrap.forkjoin.QuarkusForkJoinWorkerThreadFactory",
        f"-Dkc.home.dir={home}",
        f"-Djboss.server.config.dir={dist / 'conf'}",
        "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
        "-Dpicocli.disable.closures=true",
        "-cp",
        str(dist / "lib" / "quarkus-run.jar"),
        "io.quarkus.bootstrap.runner.QuarkusEntryPoint",
        *options,
    ]


def _ensure_built(dist: Path, log_path: Path, timeout_s: float) -> None:
    """`kc.sh build` once per distribution (Quarkus' augmentation, about 35 s), so that every start is
    `start --optimized`; under a lock, as `make run` and a test run may start at the same moment."""
    with (dist / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _built_options(dist) == BUILD_OPTIONS:
            return
        options = [f"--{key[3:]}={value}" for key, value in BUILD_OPTIONS.items() if key != "kc.profile"]
        with log_path.open("ab") as log:
            subprocess.run(_java_argv(dist, dist, "build", *options), stdout=log, stderr=subprocess.STDOUT,
                           check=True, timeout=timeout_s, start_new_session=True)  # fmt: skip


def _built_options(dist: Path) -> dict[str, str]:
    """The build options the distribution was last built with (Keycloak persists them in the augmented jar)."""
    try:
        with zipfile.ZipFile(dist / "lib" / "quarkus" / "generated-bytecode.jar") as jar:
            text = jar.read("META-INF/keycloak-persisted.properties").decode()
    except (OSError, KeyError, zipfile.BadZipFile):
        return {}
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {key: value for key, value in pairs if key in BUILD_OPTIONS}


def main() -> None:
    node = KeycloakNode(Path(os.environ.get("DRR_VAR_DIR", "var")).resolve() / "keycloak")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    node.start()
    try:
        print(node.sign_in_details(), flush=True)
        print(f"portal client {CLIENT_ID}: secret {node.portal.client_secret}; Ctrl-C stops Keycloak", flush=True)
        stop.wait()
    finally:
        node.stop()


if __name__ == "__main__":
    main() if sys.argv[1:] in ([], ["start"]) else sys.exit("usage: python -m deploy.local.keycloak [start]")
