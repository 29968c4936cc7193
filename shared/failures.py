"""Naming a failure for logs and dead letters without its message, which can quote the data (a validation
error shows the input; an encoding error, the text around it; a KeyError, the key)."""

import traceback
from pathlib import Path


def where(exc: BaseException) -> str:
    """The file and line that raised `exc` ("adapters.py:93"), or "?" if it was never raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
