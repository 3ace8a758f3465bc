"""Files only the owner may read, written whole or not at all: key files, the secret key, backups.

One way to do it: write a 0600 temp file beside the target, fsync it, then rename it into place (or link
it, which refuses to clobber a file someone created meanwhile) and fsync the folder, so a crash leaves
either the old file or the new one, never half of one.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def writing(path: Path, *, overwrite: bool, mode: str = "w+b") -> Iterator:
    """Yield an open 0600 temp file beside `path`; on a normal exit it is synced and published at `path`.

    Without `overwrite`, an existing file raises FileExistsError and stays untouched. Any error removes
    the temp file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            os.unlink(tmp)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: Path, text: str, *, overwrite: bool) -> None:
    """A whole 0600 text file (its folder made 0700 if missing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with writing(path, overwrite=overwrite, mode="w") as fh:
        fh.write(text)
