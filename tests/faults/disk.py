"""A full disk under a folder, for the fault tests.

As root with CAP_SYS_ADMIN (this sandbox): a small tmpfs mounted on the folder and filled to the last
byte, so writes fail with ENOSPC exactly as on a full volume; `free()` deletes the filler. Otherwise the
process's RLIMIT_FSIZE is lowered while the disk is "full" (SIGXFSZ ignored), so a write that grows a
file fails with EFBIG through the same OSError paths; it applies to every file of the process, so the
window is kept to the faulty call. Neither possible: the test skips with one line outside CI.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

FILLER = ".filler"


def _can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


class FullDisk:
    """`with FullDisk(folder) as disk:` the folder is on a full filesystem; `disk.free()` makes room."""

    def __init__(self, folder: Path, size: str = "16m") -> None:
        self.folder = Path(folder)
        self.size = size
        self.mode = "tmpfs" if _can_mount() else "rlimit"
        self._saved_limit = None
        self._saved_handler = None

    def __enter__(self) -> "FullDisk":
        if self.mode == "tmpfs":
            try:
                self._mount()
            except subprocess.CalledProcessError:  # root without CAP_SYS_ADMIN (a default Docker container)
                self.mode = "rlimit"
        if self.mode == "rlimit":
            try:
                import resource
                self._saved_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
            except (ImportError, OSError) as exc:
                reason = f"no way to fill a disk here (not root, no RLIMIT_FSIZE: {exc})"
                if IN_CI:
                    raise RuntimeError(reason) from exc
                pytest.skip(reason)
        return self

    def _mount(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if any(self.folder.iterdir()):
            raise RuntimeError(f"{self.folder} is not empty: mount the small disk before the app writes there")
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size},mode=0700", "tmpfs", str(self.folder)],
                       check=True, capture_output=True)

    def fill(self) -> None:
        """Use up every free byte (tmpfs), or forbid growing any file (rlimit)."""
        if self.mode == "tmpfs":
            with open(self.folder / FILLER, "ab", buffering=0) as fh:
                with contextlib.suppress(OSError):
                    while True:
                        fh.write(b"\0" * 65536)
                with contextlib.suppress(OSError):
                    while True:
                        fh.write(b"\0" * 512)
        else:
            import resource
            self._saved_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (0, self._saved_limit[1]))

    def free(self) -> None:
        if self.mode == "tmpfs":
            (self.folder / FILLER).unlink(missing_ok=True)
        elif self._saved_handler is not None:
            import resource
            resource.setrlimit(resource.RLIMIT_FSIZE, self._saved_limit)
            signal.signal(signal.SIGXFSZ, self._saved_handler)
            self._saved_handler = None

    def files(self) -> list[str]:
        """Every file under the folder but the filler, relative, sorted."""
        return sorted(p.relative_to(self.folder).as_posix() for p in self.folder.rglob("*")
                      if p.is_file() and p.name != FILLER)

    def __exit__(self, *exc) -> None:
        self.free()
        if self.mode == "tmpfs":
            subprocess.run(["umount", "-l", str(self.folder)], check=False, capture_output=True)
