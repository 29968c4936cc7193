"""The real SMTP adapter against the real local mail sink: what it sends arrives in the Maildir intact."""

import asyncio
import mailbox
import socket
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from uuid import uuid4

import pytest

from deploy.local.mailsink import MailSink
from services.notifier.email.smtp import PermanentMailError, SmtpMailer, TransientMailError, UncertainMailError


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink("127.0.0.1", free_port(), tmp_path / "mail") as running:
        yield running


def read_all(maildir: Path) -> list[Message]:
    box = mailbox.Maildir(maildir, create=False)
    try:
        return [box.get_message(key) for key in box.keys()]
    finally:
        box.close()


async def test_a_sent_message_lands_in_the_maildir_with_its_headers(sink: MailSink) -> None:
    delivery_id = uuid4()
    mailer = SmtpMailer(host=sink.host, port=sink.port, sender="drr-notify@localhost", timeout_s=5)
    await mailer.send(
        to="sam@probation.example",
        subject="[DRR case C-9] Trigger reported: bereavement (HIGH)",
        body="What to do now: contact the person within a day – ß é.\n",
        html="<p>What to do now</p>",
        message_id=f"<{delivery_id}@drr-notify>",
        headers={"X-DRR-Delivery-Id": str(delivery_id), "X-DRR-Case-Id": "C-9"},
    )
    [message] = read_all(sink.maildir)
    assert sink.stored == 1
    assert any((sink.maildir / "new").iterdir())
    assert message["Message-ID"] == f"<{delivery_id}@drr-notify>"
    assert message["X-DRR-Delivery-Id"] == str(delivery_id)
    assert message["X-DRR-Case-Id"] == "C-9"
    assert message["To"] == "sam@probation.example"
    assert message["Subject"] == "[DRR case C-9] Trigger reported: bereavement (HIGH)"
    plain, html = (part for part in message.walk() if not part.is_multipart())
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    body = plain.get_payload(decode=True)
    assert isinstance(body, bytes) and "ß é" in body.decode(plain.get_content_charset() or "utf-8")
    await mailer.close()


async def send_numbered(mailer: SmtpMailer, numbers: range) -> None:
    for n in numbers:
        await mailer.send(
            to=f"p{n}@x.example", subject=f"s{n}", body="b", html=None, message_id=f"<{n}@drr-notify>", headers={}
        )


async def test_sessions_are_reused_and_a_session_the_server_dropped_is_replaced(tmp_path: Path) -> None:
    port = free_port()
    mailer = SmtpMailer(host="127.0.0.1", port=port, sender="drr-notify@localhost", timeout_s=5, connections=2)
    with MailSink("127.0.0.1", port, tmp_path / "mail") as first:
        await send_numbered(mailer, range(5))
        assert first.stored == 5
    assert len(mailer._idle) == 1  # one session served all five, one after another
    with MailSink("127.0.0.1", port, tmp_path / "mail") as second:  # the old session is dead now
        await send_numbered(mailer, range(5, 8))
        assert second.stored == 3
    await mailer.close()
    assert sorted(str(m["Subject"]) for m in read_all(tmp_path / "mail")) == [f"s{n}" for n in range(8)]


async def test_a_closed_port_is_a_transient_error() -> None:
    mailer = SmtpMailer(host="127.0.0.1", port=free_port(), sender="drr-notify@localhost", timeout_s=2)
    with pytest.raises(TransientMailError) as raised:
        await mailer.send(to="a@b.example", subject="s", body="b", html=None, message_id="<x@drr-notify>", headers={})
    assert raised.value.reason == "connection"


INTERNATIONAL = "jörg@exämple.org"


async def _send_to(mailer: SmtpMailer, to: str) -> None:
    await mailer.send(
        to=to, subject="[DRR case C-9] Update", body="Hallo Jörg.\n", html=None, message_id=f"<{uuid4()}@drr-notify>",
        headers={"X-DRR-Case-Id": "C-9"},
    )  # fmt: skip


async def test_an_internationalised_address_is_sent_with_smtputf8_when_the_server_offers_it(sink: MailSink) -> None:
    mailer = SmtpMailer(host=sink.host, port=sink.port, sender="drr-notify@localhost", timeout_s=5)
    await _send_to(mailer, INTERNATIONAL)
    await mailer.close()
    [raw] = [path.read_bytes() for path in (sink.maildir / "new").iterdir()]
    assert f"To: {INTERNATIONAL}".encode() in raw  # RFC 6532: the address as it is, in UTF-8


async def test_without_smtputf8_an_internationalised_address_fails_permanently_and_alone(tmp_path: Path) -> None:
    with MailSink("127.0.0.1", free_port(), tmp_path / "mail", smtputf8=False) as plain:
        mailer = SmtpMailer(host=plain.host, port=plain.port, sender="drr-notify@localhost", timeout_s=5, connections=1)
        await _send_to(mailer, "sam@probation.example")  # a session is open and idle: it is reused next
        with pytest.raises(PermanentMailError) as refused:
            await _send_to(mailer, INTERNATIONAL)
        assert refused.value.reason == "smtputf8_unsupported"
        await _send_to(mailer, "ira@police.example")  # the next message goes as before
        await mailer.close()
        assert plain.stored == 2


async def dying_server(after: bytes) -> tuple[asyncio.Server, int]:
    """A server that speaks just enough SMTP, then drops the connection without a reply once it has read
    `after` (b"\r\n.\r\n": the whole message, as a server that stored it and crashed before its 250)."""

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 dying ESMTP\r\n")
        seen = b""
        while after not in seen:
            line = await reader.readline()
            if not line:
                break
            seen += line
            command = line.upper()
            if after in seen:
                break
            if command.startswith((b"EHLO", b"HELO")):
                writer.write(b"250 dying\r\n")
            elif command.startswith((b"MAIL", b"RCPT")):
                writer.write(b"250 OK\r\n")
            elif command.startswith(b"DATA"):
                writer.write(b"354 go ahead\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(session, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.mark.parametrize(
    ("after", "kind", "reason"),
    [
        (b"\r\n.\r\n", UncertainMailError, "connection_after_data"),  # the whole message, then no reply
        (b"MAIL FROM", TransientMailError, "connection"),  # nothing of the message went out
    ],
    ids=["after-the-message", "before-the-message"],
)
async def test_a_connection_lost_after_the_message_went_out_is_uncertain_and_before_it_is_not(
    after: bytes, kind: type[Exception], reason: str
) -> None:
    server, port = await dying_server(after)
    mailer = SmtpMailer(host="127.0.0.1", port=port, sender="drr-notify@localhost", timeout_s=5)
    try:
        with pytest.raises(kind) as error:
            await mailer.send(to="sam@probation.example", subject="s", body="b\n", html=None,
                              message_id="<m@drr-notify>", headers={})  # fmt: skip
        assert type(error.value) is kind and str(error.value) == reason
    finally:
        server.close()
        await server.wait_closed()
        await mailer.close()
