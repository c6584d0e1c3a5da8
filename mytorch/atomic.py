"""Write a file so that it is either complete or untouched: never half-written."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path`` for writing; when the block ends without an
    exception, flush it to disk and rename it over ``path``; on any exception delete it,
    so ``path`` keeps its previous content.

    Args:
        path: the destination; missing parent directories are created.

    Yields:
        The temporary file, opened for binary writing; its ``name`` is its path, so it can
        be checked (after a flush) before it takes the place of ``path``.

    Example:
        >>> with atomic_write("weights.npz") as f:
        ...     np.savez(f, w=w)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same directory, so os.replace is a rename within one file system, hence atomic.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)  # reopened by name so that ``file.name`` is the temporary path
    try:
        with open(tmp_name, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file private (0600); a data file should be readable by all.
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
