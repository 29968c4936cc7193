"""Emails: the Jinja2 templates and their wording (templates/, guidance.py), how fields read (formatting.py),
rendering one alert or batch into plain text and HTML (rendering.py), its sealed fields opened for that
email only (opening.py), and the SMTP edge with its error
kinds (smtp.py). Other folders import from here only."""

from services.notifier.email.guidance import Guidance, load_guidance
from services.notifier.email.opening import Opener
from services.notifier.email.rendering import Email, Renderer
from services.notifier.email.smtp import (
    Mailer,
    MailError,
    MessageError,
    PermanentMailError,
    SmtpMailer,
    TestModeMailer,
    TransientMailError,
    UncertainMailError,
)

__all__ = [
    "Email",
    "Guidance",
    "MailError",
    "Mailer",
    "MessageError",
    "Opener",
    "PermanentMailError",
    "Renderer",
    "SmtpMailer",
    "TestModeMailer",
    "TransientMailError",
    "UncertainMailError",
    "load_guidance",
]
