"""SMTP errors sort into retry-worthy and not, by reply code first."""

import pytest
from aiosmtplib import (
    SMTPConnectError,
    SMTPConnectResponseError,
    SMTPException,
    SMTPReadTimeoutError,
    SMTPRecipientRefused,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPServerDisconnected,
)

from services.notifier.adapters import PermanentMailError, SmtpMailer, TransientMailError, classify, compose


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


def test_compose_sets_the_identifying_headers() -> None:
    message = compose(
        sender="n@localhost",
        to="a@b.example",
        subject="S",
        body="B\n",
        message_id="<1@drr-notify>",
        headers={"X-DRR-Case-Id": "C-1"},
        html="<p>B</p>",
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
