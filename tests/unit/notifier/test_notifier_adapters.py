"""SMTP errors sort into retry-worthy and not, by reply code first."""

from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default

import pytest
from aiosmtplib import (
    SMTPConnectError,
    SMTPConnectResponseError,
    SMTPException,
    SMTPNotSupported,
    SMTPReadTimeoutError,
    SMTPRecipientRefused,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPServerDisconnected,
)

from services.notifier.email.smtp import (
    MessageError,
    PermanentMailError,
    SmtpMailer,
    TransientMailError,
    classify,
    compose,
    international,
)


@pytest.mark.parametrize(
    ("error", "kind", "reason"),
    [
        (SMTPResponseException(451, "try later"), TransientMailError, "smtp_451"),
        (SMTPResponseException(550, "no such user a@b"), PermanentMailError, "smtp_550"),
        (SMTPConnectResponseError(554, "go away"), PermanentMailError, "smtp_554"),
        (SMTPConnectResponseError(421, "busy"), TransientMailError, "smtp_421"),
        (SMTPRecipientsRefused([SMTPRecipientRefused(452, "full", "a@b")]), TransientMailError, "smtp_452"),
        (SMTPRecipientsRefused([SMTPRecipientRefused(550, "no", "a@b")]), PermanentMailError, "smtp_550"),
        (SMTPConnectError("refused"), TransientMailError, "connection"),
        (SMTPServerDisconnected("lost"), TransientMailError, "connection"),
        (ConnectionRefusedError(), TransientMailError, "connection"),
        (SMTPReadTimeoutError("slow"), TransientMailError, "timeout"),
        (SMTPException("STARTTLS not supported"), PermanentMailError, "unsupported"),
    ],
)
def test_classify(error: Exception, kind: type[Exception], reason: str) -> None:
    classified = classify(error)  # type: ignore[arg-type]
    assert type(classified) is kind
    assert classified.reason == reason
    assert "a@b" not in str(classified)


def parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def test_compose_sets_the_identifying_headers() -> None:
    message = parsed(
        compose(
            sender="n@localhost",
            to="a@b.example",
            subject="S",
            body="B\n",
            message_id="<1@drr-notify>",
            headers={"X-DRR-Case-Id": "C-1"},
            html="<p>B</p>",
        )
    )
    assert message.get_content_type() == "multipart/alternative"
    assert (message["Message-ID"], message["X-DRR-Case-Id"], message["From"]) == (
        "<1@drr-notify>",
        "C-1",
        "n@localhost",
    )
    assert message["Date"]


def test_the_password_stays_out_of_the_mailer_repr() -> None:
    assert "hunter2" not in repr(SmtpMailer(host="h", port=25, sender="s@h", password="hunter2"))


@pytest.mark.parametrize(
    "subject",
    ["[DRR case C-1] Trigger reported: Zoë Ångström – bereavement (HIGH)",
     "[DRR case E2E-GROUP-e4d1a1f9] Updates on this case: 2 updates, long enough to be folded (NORMAL)"],
)  # fmt: skip
def test_a_composed_message_reads_back_as_sent_whatever_the_script(subject: str) -> None:
    body = "Contact – ß é 文字\n"
    message = compose(sender="n@localhost", to="a@b.example", subject=subject, body=body,
                      message_id="<1@drr-notify>", headers={}, html="<p>ß é 文字</p>")  # fmt: skip
    read = parsed(message)
    assert read["Subject"] == subject
    assert all(len(line) <= 78 for line in message.split(b"\r\n"))  # folded, as RFC 5322 recommends
    plain, html = read.get_body(("plain",)), read.get_body(("html",))
    assert plain is not None and plain.get_content() == body
    assert html is not None and "ß é 文字" in html.get_content()


def test_a_plain_text_message_is_one_part() -> None:
    message = parsed(compose(sender="n@localhost", to="a@b.example", subject="S", body="Only text – é\n",
                             message_id="<2@drr-notify>", headers={}))  # fmt: skip
    assert message.get_content_type() == "text/plain" and message.get_content() == "Only text – é\n"


@pytest.mark.parametrize("value", ["C-1\r\nBcc: x@evil.example", "C-1\nX: y", "Zoë"])
def test_a_header_value_cannot_carry_a_line_break_or_unencoded_text(value: str) -> None:
    with pytest.raises(ValueError, match="X-DRR-Case-Id"):
        compose(sender="n@localhost", to="a@b.example", subject="S", body="B", message_id="<3@drr-notify>",
                headers={"X-DRR-Case-Id": value})  # fmt: skip


def test_an_internationalised_address_needs_smtputf8() -> None:
    assert international("drr-notify@localhost", "jörg@exämple.org")
    assert international("sam@exämple.org")
    assert not international("drr-notify@localhost", "sam@probation.example")


def test_an_internationalised_address_goes_in_utf8_headers_only_when_allowed() -> None:
    message = {"sender": "drr-notify@localhost", "to": "jörg@exämple.org", "subject": "S", "body": "B",
               "message_id": "<m@drr-notify>", "headers": {}}  # fmt: skip
    with pytest.raises(ValueError):
        compose(**message)  # type: ignore[arg-type]
    assert "To: jörg@exämple.org\r\n".encode() in compose(**message, utf8=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # other headers stay ASCII, whatever the addresses
        compose(**{**message, "headers": {"X-DRR-Case-Id": "Ä"}}, utf8=True)  # type: ignore[arg-type]


async def test_a_header_the_message_cannot_carry_is_a_message_error_before_any_connection() -> None:
    mailer = SmtpMailer(host="127.0.0.1", port=1, sender="drr-notify@localhost", timeout_s=1)  # nothing listens
    with pytest.raises(MessageError) as refused:
        await mailer.send(to="sam@x.example", subject="S", body="B", html=None, message_id="<m@drr-notify>",
                          headers={"X-DRR-Case-Id": "C-1\r\nBcc: eve@x.example"})  # fmt: skip
    assert refused.value.reason == "unencodable_header"


def test_a_server_without_smtputf8_is_a_permanent_failure_for_that_address() -> None:
    error = classify(SMTPNotSupported("SMTPUTF8 is not supported by this server"))
    assert isinstance(error, PermanentMailError) and error.reason == "smtputf8_unsupported"
