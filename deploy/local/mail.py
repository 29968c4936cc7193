"""Read what the local mail sink stored: the Maildir people and tests look at."""

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path


def messages(maildir: Path, case_id: str | None = None) -> list[EmailMessage]:
    """Every stored email (for one case, when given), in the order the sink stored them."""
    files = sorted(f for sub in ("new", "cur") if (maildir / sub).is_dir() for f in (maildir / sub).iterdir())
    parsed = [message_from_bytes(f.read_bytes(), policy=default) for f in files]
    return [m for m in parsed if isinstance(m, EmailMessage) and (case_id is None or m["X-DRR-Case-Id"] == case_id)]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return str(body.get_content()) if body is not None else ""
