"""The portal and its identity provider as real processes for the browser tests: Keycloak (deploy/local/
keycloak.py) with the drr realm, and the whole stack (the broker, every service and `python -m services.portal`
following the broker as its own principal, signing people in at that Keycloak).

Their own ports (Keycloak 19181/19191, the stack's e2e ports +50 with the portal on 18006, plus
DRR_E2E_PORT_OFFSET), so that they never meet the stacks and identity providers tests/e2e starts in the same run.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from deploy.local.keycloak import DemoUser, KeycloakNode
from deploy.local.stack import Ports, Stack

OFFSET = int(os.environ.get("DRR_E2E_PORT_OFFSET", "0"))
KEYCLOAK_PORT, KEYCLOAK_MANAGEMENT_PORT, PORTAL_PORT = (port + OFFSET for port in (19181, 19191, 18006))
E2E_PORTS = (19092, 19093, 18001, 18002, 18003, 18004, 18025)
PORTS = Ports(*(port + 50 + OFFSET for port in E2E_PORTS), portal=PORTAL_PORT)
ENV = {"DRR_NOTIFIER_ESCALATION_UNIT_S": "1", "DRR_NOTIFIER_ESCALATION_SWEEP_S": "1"}
"""policy.yaml's minutes as seconds: the critical trigger's escalation window is 30 s."""


def keycloak_node(home: Path) -> KeycloakNode:
    return KeycloakNode(
        home, port=KEYCLOAK_PORT, management_port=KEYCLOAK_MANAGEMENT_PORT, portal_port=PORTAL_PORT,
        audit_port=PORTS.audit,
    )  # fmt: skip


def demo_user(keycloak: KeycloakNode, username: str) -> DemoUser:
    return next(user for user in keycloak.users() if user.username == username)


@dataclass
class PortalProcess:
    """The stack with the portal on 127.0.0.1:PORTAL_PORT, with the settings `keycloak` gives it."""

    home: Path
    keycloak: KeycloakNode
    stack: Stack | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{PORTAL_PORT}"

    @property
    def console_url(self) -> str:
        """The oversight console, in the audit service."""
        return f"http://127.0.0.1:{PORTS.audit}/console/"

    def start(self, timeout_s: float = 180) -> Stack:
        """In a thread of its own: the broker's set-up runs its own event loop (asyncio.run), and Playwright's
        sync API keeps one marked as running in the test thread."""
        env = {**ENV, **self.keycloak.portal_env(), **self.keycloak.console_env()}
        stack = Stack(self.home / "stack", PORTS, env, with_portal=True)
        self.stack = stack
        with ThreadPoolExecutor(max_workers=1) as thread:
            thread.submit(stack.start, timeout_s).result()
        return stack

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()
            self.stack = None
