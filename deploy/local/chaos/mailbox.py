"""What the mail sink stored, read incrementally: each file's headers once, however long the Maildir gets
(a benchmark of twenty runs stores thousands of emails in one sink)."""

from collections import defaultdict
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path

DUPLICATE_HEADER = "X-DRR-Possible-Duplicate"


class Mailbox:
    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self._read: set[str] = set()
        self._copies: dict[str, list[bool]] = defaultdict(list)
        self._parser = BytesHeaderParser(policy=default)

    def refresh(self) -> None:
        """Read the headers of every file stored since the last refresh."""
        for sub in ("new", "cur"):
            folder = self.maildir / sub
            for path in sorted(folder.iterdir()) if folder.is_dir() else ():
                name = path.name.split(":", 1)[0]  # a client moving it to cur/ adds ":2,FLAGS"
                if name not in self._read:
                    self._read.add(name)
                    self._add(path.read_bytes())

    def copies(self, delivery_id: str) -> list[bool]:
        """One flag per stored copy of the delivery: True when marked possible-duplicate."""
        return self._copies.get(delivery_id, [])

    def _add(self, raw: bytes) -> None:
        headers = self._parser.parsebytes(raw)
        delivery = headers.get("X-DRR-Delivery-Id")
        if delivery is not None:
            self._copies[str(delivery)].append(str(headers.get(DUPLICATE_HEADER, "")).lower() == "yes")
