"""The local SMTP server: accepts every message and stores it in a Maildir, so people and tests can
read what the notifier sent (`var/mail/new/`) without a real mail provider.

`python -m deploy.local.mailsink` runs it until SIGTERM/SIGINT (settings: DRR_MAILSINK_HOST,
DRR_MAILSINK_PORT, DRR_MAILSINK_MAILDIR, DRR_MAILSINK_SMTPUTF8); `MailSink(host, port, maildir).start()/.stop()`
in-process. It offers SMTPUTF8 (internationalised addresses) unless told not to, so that both the
notifier's paths, sent and refused for want of it, meet a real server.
Logs counts only: addresses and subjects are personal data.
"""

import logging
import signal
import threading
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.logs import configure

log = logging.getLogger(__name__)


class MailSinkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_MAILSINK_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8025
    maildir: Path = Path("var/mail")
    smtputf8: bool = True
    """Offer SMTPUTF8 (RFC 6531), as most providers do; off, like a server that lacks it."""


class _CountingMailbox(Mailbox):
    """aiosmtpd's Maildir handler, plus a running count (the only thing worth logging)."""

    def __init__(self, maildir: Path) -> None:
        super().__init__(maildir)
        self.stored = 0
        self._lock = threading.Lock()

    def handle_message(self, message: Message) -> None:
        super().handle_message(message)
        with self._lock:
            self.stored += 1
            count = self.stored
        log.info("stored a message", extra={"stored": count})


class MailSink:
    """An SMTP server on its own thread and event loop, so sync tests and async code can both use it."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 8025, maildir: Path = Path("var/mail"), smtputf8: bool = True
    ) -> None:
        self.host, self.port, self.maildir, self.smtputf8 = host, port, Path(maildir), smtputf8
        self._controller: Controller | None = None
        self._handler: _CountingMailbox | None = None

    @property
    def stored(self) -> int:
        """Messages stored since start()."""
        return self._handler.stored if self._handler else 0

    def start(self) -> "MailSink":
        # aiosmtpd logs every sender and recipient address at INFO: personal data, kept out of our logs
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._handler = _CountingMailbox(self.maildir)
        # a fixed server name: the default asks DNS for the host's FQDN, which can stall start-up
        controller = Controller(
            self._handler,
            hostname=self.host,
            port=self.port,
            server_hostname="drr-mailsink",
            enable_SMTPUTF8=self.smtputf8,
        )
        try:
            controller.start()
        except BaseException:
            # the controller closes its loop only when it ran; a failed bind leaves it open
            if not controller.loop.is_closed():
                controller.loop.close()
            raise
        self._controller = controller
        log.info("mail sink listening", extra={"host": self.host, "port": self.port, "smtputf8": self.smtputf8})
        return self

    def stop(self) -> None:
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None
        log.info("mail sink stopped", extra={"stored": self.stored})

    def __enter__(self) -> "MailSink":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def main() -> None:
    configure("mailsink", "INFO")
    settings = MailSinkSettings()
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    # block before the server thread starts so it inherits the mask and only sigwait sees the signals
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    with MailSink(settings.host, settings.port, settings.maildir, settings.smtputf8):
        received = signal.sigwait(stop_signals)
        log.info("stopping", extra={"signal": signal.Signals(received).name})


if __name__ == "__main__":
    main()
