"""The SMTP edge: the `Mailer` port the core depends on, and its aiosmtplib implementation.

Send errors come in two kinds, because the retry decision is all the core needs to know:

    MailError                 the message did not reach the server, or the server did not take it
     ├── TransientMailError   worth another try later
     │    └── UncertainMailError  the whole message went out and the connection failed before the reply:
     │                            the server may have taken it, so another try may deliver it twice
     ├── PermanentMailError   another try cannot help; give up at once
     └── MessageError         the message cannot be put on the wire as built: ours, a technical failure
"""

import asyncio
import base64
import secrets
from collections.abc import Mapping
from email.header import Header
from email.utils import formatdate
from typing import Any, Protocol

import aiosmtplib
from aiosmtplib import (
    SMTPException,
    SMTPNotSupported,
    SMTPRecipientsRefused,
    SMTPResponse,
    SMTPResponseException,
    SMTPServerDisconnected,
)


class MailError(Exception):
    """`reason` is a code ("smtp_550", "timeout"), never the server's text: that can echo addresses."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientMailError(MailError):
    """4xx replies (mailbox busy, greylisted, server short of resources), refused or dropped
    connections and timeouts: the server or the network may well be fine a little later."""


class UncertainMailError(TransientMailError):
    """The message was sent whole (DATA), then the connection dropped or timed out before the server's
    reply: a server that stored it and died before answering 250 has it (RFC 5321 section 6.1 warns of the
    duplicate). Retried like any transient failure, and the next try is marked as a possible duplicate."""


class PermanentMailError(MailError):
    """5xx replies (no such mailbox, rejected as policy, authentication refused) and features the server
    lacks (STARTTLS, SMTPUTF8): the same message to the same server will fail the same way."""


class MessageError(MailError):
    """A header or address this message cannot carry (e.g. a line break, or non-ASCII where only ASCII
    may go): a fault in what was built, neither the server's nor the recipient's; no retry can help."""


class Mailer(Protocol):
    async def send(
        self, *, to: str, subject: str, body: str, html: str | None, message_id: str, headers: Mapping[str, str]
    ) -> None:
        """Hand one message (plain text, plus HTML when given) to the mail system; raise a MailError
        subclass if it refuses."""


class TestModeMailer:
    """Like Notify's test keys: the message was rendered and is recorded (audit, metrics) by the caller,
    but nothing leaves the process. `count` says how many it swallowed."""

    __test__ = False  # not a pytest class, whatever its name

    def __init__(self) -> None:
        self.count = 0

    async def send(
        self, *, to: str, subject: str, body: str, html: str | None, message_id: str, headers: Mapping[str, str]
    ) -> None:
        self.count += 1

    async def close(self) -> None:
        return None


def compose(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    headers: Mapping[str, str],
    html: str | None = None,
    utf8: bool = False,
) -> bytes:
    """The message as it goes on the wire: plain text, or plain text and HTML as multipart/alternative,
    each part UTF-8 in base64. `utf8`: the addresses may be internationalised (RFC 6532: UTF-8 in the
    address headers, sent only with SMTPUTF8); otherwise every header but the subject is ASCII.
    Laid out here rather than by `email.generator`, which re-folded every header through
    `email.header.Header` and made flattening the largest cost per email in the profile; only the
    subject (free text) is folded and, if not ASCII, encoded (RFC 2047) by `Header`."""
    fields = {
        "From": sender, "To": to, "Date": formatdate(usegmt=True), "Message-ID": message_id, **headers,
        "MIME-Version": "1.0",
    }  # fmt: skip
    lines = [f"{name}: {_one_line(name, value, utf8 and name in ADDRESSES)}" for name, value in fields.items()]
    charset = None if subject.isascii() else "utf-8"
    lines.append("Subject: " + Header(subject, charset, header_name="Subject").encode(linesep=CRLF))
    if html is None:
        return _joined([*lines, *_text_part("plain", body)], utf8)
    boundary = f"=_drr_{secrets.token_hex(12)}"  # "=_" never occurs in base64 text
    return _joined([
        *lines, f'Content-Type: multipart/alternative; boundary="{boundary}"', "",
        f"--{boundary}", *_text_part("plain", body), f"--{boundary}", *_text_part("html", html), f"--{boundary}--",
    ], utf8)  # fmt: skip


CRLF = "\r\n"
ADDRESSES = frozenset({"From", "To"})


def international(*addresses: str) -> bool:
    """Whether an address needs SMTPUTF8 (a non-ASCII local part or domain, e.g. jörg@exämple.org)."""
    return not all(address.isascii() for address in addresses)


def _one_line(name: str, value: str, utf8: bool = False) -> str:
    """Header values here are addresses, ids and codes: one line, or an injected header."""
    if "\r" in value or "\n" in value or not (utf8 or value.isascii()):
        raise ValueError(f"header {name} must be one line of ASCII")
    return value


def _text_part(subtype: str, text: str) -> list[str]:
    encoded = base64.encodebytes(text.encode()).decode("ascii").rstrip("\n").replace("\n", CRLF)
    return [f'Content-Type: text/{subtype}; charset="utf-8"', "Content-Transfer-Encoding: base64", "", encoded]


def _joined(lines: list[str], utf8: bool = False) -> bytes:
    return (CRLF.join(lines) + CRLF).encode("utf-8" if utf8 else "ascii")


def classify(exc: SMTPException | OSError) -> MailError:
    """Transient or permanent, by SMTP reply code where there is one (checked first: a refused
    greeting is both a reply and a connection error)."""
    if isinstance(exc, SMTPNotSupported):  # e.g. an internationalised address and no SMTPUTF8 offered
        return PermanentMailError("smtputf8_unsupported" if "SMTPUTF8" in str(exc) else "unsupported")
    if isinstance(exc, SMTPResponseException):
        return _by_code(exc.code)
    if isinstance(exc, SMTPRecipientsRefused):
        codes = [refusal.code for refusal in exc.recipients]
        return _by_code(max(codes, default=550))
    if isinstance(exc, TimeoutError):
        return TransientMailError("timeout")
    if isinstance(exc, OSError):  # refused, reset, disconnected, unreachable
        return TransientMailError("connection")
    return PermanentMailError("unsupported")


def _by_code(code: int) -> MailError:
    if 400 <= code < 500:
        return TransientMailError(f"smtp_{code}")
    return PermanentMailError(f"smtp_{code}")


class Session(aiosmtplib.SMTP):
    """An SMTP session that notes when the message itself may have gone out (from the DATA command on):
    from then on, a lost connection leaves its fate unknown. (A drop between DATA and its 354 is counted
    too: marking a retry as a possible duplicate when it was not one costs nothing.)"""

    message_sent = False

    async def data(self, message: str | bytes, /, **kwargs: Any) -> SMTPResponse:
        self.message_sent = True
        return await super().data(message, **kwargs)


class SmtpMailer:
    """Keeps up to `connections` SMTP sessions open and reuses them: connecting, greeting and quitting
    cost more than the message itself. A session that fails is closed, never reused."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        timeout_s: float = 10.0,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        connections: int = 4,
        implicit_tls: bool = False,
        validate_certs: bool = True,
    ) -> None:
        self.host, self.port, self.sender, self.timeout_s = host, port, sender, timeout_s
        self.username, self._password, self.starttls = username, password, starttls
        self.implicit_tls, self.validate_certs = implicit_tls, validate_certs
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[Session] = []

    def __repr__(self) -> str:  # never the password
        return f"SmtpMailer(host={self.host!r}, port={self.port}, sender={self.sender!r})"

    async def send(
        self, *, to: str, subject: str, body: str, html: str | None, message_id: str, headers: Mapping[str, str]
    ) -> None:
        utf8 = international(self.sender, to)
        try:
            message = compose(
                sender=self.sender, to=to, subject=subject, body=body, html=html, message_id=message_id,
                headers=headers, utf8=utf8,
            )  # fmt: skip
        except ValueError as exc:
            raise MessageError("unencodable_header") from exc
        async with self._slots:
            reused = self._idle.pop() if self._idle else None
            try:
                client = await self._send_on(reused, to, message, ["SMTPUTF8"] if utf8 else [])
            except (SMTPException, OSError) as exc:
                raise classify(exc) from exc
            except ValueError as exc:  # aiosmtplib: an address it cannot put on an SMTP command line
                raise MessageError("unencodable_address") from exc
            self._idle.append(client)

    async def close(self) -> None:
        while self._idle:
            await _close(self._idle.pop())

    async def _send_on(self, reused: Session | None, to: str, message: bytes, options: list[str]) -> Session:
        """Send on the reused session if it is still alive, else (or if it drops before the message went
        out) on a new one. `options`: SMTPUTF8 for an internationalised address (refused at once by a
        server without it)."""
        if reused is not None and reused.is_connected:
            try:
                await self._transaction(reused, to, message, options)
                return reused
            except SMTPServerDisconnected:
                await _close(reused)  # the server closed an idle session: not a failure of this message
            except BaseException:
                await _close(reused)
                raise
        await _close(reused)
        client = await self._connect()
        try:
            await self._transaction(client, to, message, options)
        except BaseException:
            await _close(client)
            raise
        return client

    async def _transaction(self, session: Session, to: str, message: bytes, options: list[str]) -> None:
        """One MAIL, RCPT, DATA; a connection lost once the message went out is UncertainMailError."""
        session.message_sent = False
        try:
            await session.sendmail(self.sender, [to], message, mail_options=options)
        except (SMTPException, OSError) as exc:
            if session.message_sent and not isinstance(exc, SMTPResponseException):
                raise UncertainMailError("connection_after_data") from exc
            raise

    async def _connect(self) -> Session:
        client = Session(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout_s,
            username=self.username,
            password=self._password,
            start_tls=self.starttls,
            use_tls=self.implicit_tls,
            validate_certs=self.validate_certs,
        )
        await client.connect()
        return client


async def _close(client: aiosmtplib.SMTP | None) -> None:
    if client is None:
        return
    try:
        await client.quit()
    except (SMTPException, OSError):
        client.close()
