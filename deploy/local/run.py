"""`make run`: the whole system on this machine, until Ctrl-C.

Starts Kafka (KRaft) and creates the topics, then the mail sink, the four services and the portal, then
Keycloak (the portal's identity provider, deploy/local/keycloak.py: prints the demo users' sign-in details);
waits until each is healthy, posts the demo case history once (DRR_DEMO=0 skips it), prints where to look, restarts
a service that crashes, with backoff (deploy/local/supervisor.py; DRR_SUPERVISE=0 leaves it down), and on
Ctrl-C stops everything by PID, with a SIGKILL fallback.
"""

import os
import signal
import threading
from pathlib import Path

from deploy.local.demo import run_demo
from deploy.local.keycloak import KeycloakNode
from deploy.local.stack import Stack
from deploy.local.supervisor import Supervisor
from shared.kafka_acls import ADMIN

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def main() -> None:
    stop = threading.Event()
    for sig in SIGNALS:
        signal.signal(sig, lambda *_: stop.set())
    var_dir = Path(os.environ.get("DRR_VAR_DIR", "var")).resolve()
    keycloak = KeycloakNode(var_dir / "keycloak")
    stack = Stack(var_dir, extra_env=keycloak.portal_env() | keycloak.console_env(), with_portal=True)
    print("starting Kafka, the mail sink and the services ...", flush=True)
    stack.start()
    supervisor = Supervisor(stack.processes, say=lambda line: print(line, flush=True))
    try:
        if os.environ.get("DRR_SUPERVISE", "1") != "0":
            supervisor.start()
        print("starting Keycloak (the first start builds it and imports the realm: about a minute) ...", flush=True)
        keycloak.start()
        print(where_to_look(stack), flush=True)
        print(keycloak.sign_in_details(), flush=True)
        if os.environ.get("DRR_DEMO", "1") != "0":
            run_demo(stack)
        print("\nrunning; Ctrl-C stops everything", flush=True)
        stop.wait()
    finally:
        print("stopping ...", flush=True)
        supervisor.stop()
        keycloak.stop()
        stack.stop()


def where_to_look(stack: Stack) -> str:
    secrets = stack.kafka.secrets
    return "\n".join(
        [
            f"kafka     {stack.kafka.bootstrap}  (SASL_SSL, SCRAM-SHA-512; CA {secrets.tls.ca_file})",
            f"          admin: {ADMIN} / {secrets.password(ADMIN)}",
            f"          client settings for Kafka's tools: {secrets.folder}/kafka-{ADMIN}.properties",
            "          read a topic: .venv/bin/python -m deploy.local.kafka consume drr.events --from-beginning",
            f"          each service has its own principal and password in {secrets.folder}/ (mode 0600)",
            f"intake    {stack.url('intake')}/v1/events   (POST events; /docs for the API)",
            f"router    {stack.url('router')}/healthz",
            f"notifier  {stack.url('notifier')}/healthz",
            f"audit     {stack.url('audit')}/v1/audit/entries?case_id=...  (oversight token below)",
            f"portal    {stack.url('portal')}/  (practitioners sign in: the demo users below)",
            f"console   {stack.url('audit')}/console/  (the oversight console: sign in as the oversight user below)",
            f"smtp      127.0.0.1:{stack.ports.smtp}  ->  mail in {stack.maildir}/new",
            f"logs      {stack.var_dir}/logs/  (JSON lines); metrics on each service's /metrics",
            f"oversight Authorization: Bearer {stack.oversight_token}",
            f"          verifier key: {stack.audit_cli('key').strip()}",
            "demo API keys (Authorization: Bearer <key>; this run's only, each with its agency's defaults):",
            *[f"  {agency:<15} {key}" for agency, key in stack.api_keys.items()],
        ]
    )


if __name__ == "__main__":
    main()
