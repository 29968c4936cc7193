"""Files only their owner may read: made once (O_EXCL, mode 0600, in a 0700 folder), then reused."""

import os
from collections.abc import Callable
from pathlib import Path


def write_private(path: Path, content: bytes) -> None:
    """Write `content` to a new file readable by its owner alone (replacing a half-made one)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.new")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(content)
    temporary.replace(path)


def made_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's content; made by `make` (and kept, mode 0600) the first time only."""
    if not path.exists():
        write_private(path, make())
    return path.read_bytes()
