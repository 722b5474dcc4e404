"""Replacing a file whole: readers, and other processes writing the same file, see the old content or a new one, never a part.

The content goes to a temporary file of its own beside the target (``tempfile.mkstemp``: unique however many processes
write at once, e.g. parallel sweep workers building one cache file), which then replaces the target (``os.replace``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` fills a fresh temporary file (same folder, same suffix, so ``np.savez`` adds none), which then
    replaces ``path``; if ``write`` fails, the temporary file is removed and ``path`` is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
