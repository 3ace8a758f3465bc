"""Encrypted temporary files: confidential bytes being checked or watermarked never reach a disk in
plaintext, not even for the seconds a request takes. Pure (no Flask, no database).

`EncryptedTempFile` is a readable, writable, seekable binary file with the semantics of
`io.BytesIO` (reads return everything asked for up to EOF, writes past EOF fill the gap with
zeros; unlike BytesIO, `truncate` can also grow the file, as a real file does). Up to
`max_memory` bytes it lives in memory; past that it moves to an anonymous temporary file
(O_TMPFILE where the filesystem has it, otherwise unlinked at once, mode 0600) encrypted under a
fresh AES-256 key that exists only inside this object and is dropped on close.

On disk the content is cut into 64 KiB pages. A page is sealed with AES-256-GCM (AES-CTR plus an
authentication tag) under a fresh counter nonce *every time it is written*, with its page number
as associated data; nonces and tags stay in memory. Why not bare AES-CTR with the file offset as
counter: rewriting a region (zipfile patches headers, truncate-then-write) would reuse keystream,
and a copy-on-write filesystem, an SSD's remapped blocks or a snapshot can keep both ciphertexts,
whose XOR is the XOR of the plaintexts. Fresh nonces never reuse keystream, and the in-memory tags
make any change by someone with write access to TMPDIR an error (`TempFileTampered`) instead of
silently altered content. One decrypted page is cached, so small random reads (zipfile's central
directory, content sniffing) cost one page decryption, and sequential writes seal each page once.
"""
from __future__ import annotations

import io
import operator
import os
import tempfile

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PAGE = 64 * 1024
TAG = 16
DEFAULT_MAX_MEMORY = 512 * 1024  # Werkzeug's own in-memory threshold for uploaded parts


class TempFileTampered(OSError):
    """A page of the encrypted temporary file was changed or cut on disk behind our back."""


def _nonce(counter: int) -> bytes:
    return counter.to_bytes(12, "big")


def _aad(page: int) -> bytes:
    return page.to_bytes(8, "big")


class EncryptedTempFile(io.RawIOBase):
    """A temporary binary file whose plaintext is only ever in this process's memory.

    `max_memory=0` goes to disk at once. `dir` is where the anonymous file is created (default:
    the temporary directory). No `fileno()`: the descriptor holds ciphertext only.
    """

    def __init__(self, *, max_memory: int = DEFAULT_MAX_MEMORY, dir: str | os.PathLike | None = None) -> None:
        super().__init__()
        self._max_memory = max(0, int(max_memory))
        self._dir = dir
        self._pos = 0
        self._size = 0
        self._mem: bytearray | None = bytearray()
        self._disk = None
        self._fd = -1
        self._aead: AESGCM | None = None
        self._pages: dict[int, tuple[int, bytes, int]] = {}  # page -> (nonce counter, tag, length)
        self._counter = 0
        self._cache = bytearray()
        self._cache_page = -1
        self._dirty = False
        if self._max_memory == 0:
            self._rollover()

    # --- io.RawIOBase ---------------------------------------------------------------------------

    def readable(self) -> bool:
        self._check_open()
        return True

    def writable(self) -> bool:
        self._check_open()
        return True

    def seekable(self) -> bool:
        self._check_open()
        return True

    def fileno(self) -> int:
        raise io.UnsupportedOperation("an encrypted temporary file has no plaintext file descriptor")

    @property
    def rolled(self) -> bool:
        """True once the content lives (encrypted) on disk rather than in memory."""
        return self._mem is None

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        offset = operator.index(offset)
        if whence == io.SEEK_SET:
            if offset < 0:
                raise ValueError(f"negative seek value {offset}")
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos = max(0, self._pos + offset)  # BytesIO clamps relative seeks at 0
        elif whence == io.SEEK_END:
            self._pos = max(0, self._size + offset)
        else:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        return self._pos

    def readinto(self, buffer) -> int:
        self._check_open()
        with memoryview(buffer) as raw, raw.cast("B") as view:
            n = min(len(view), max(0, self._size - self._pos))
            done = 0
            while done < n:
                chunk, start, stop = self._span(self._pos + done, n - done)
                with memoryview(chunk) as mv:
                    view[done:done + stop - start] = mv[start:stop]
                done += stop - start
        self._pos += n
        return n

    def readall(self) -> bytes:
        self._check_open()
        buf = bytearray(max(0, self._size - self._pos))
        self.readinto(buf)
        return bytes(buf)

    def readline(self, size: int | None = -1) -> bytes:
        self._check_open()
        size = -1 if size is None else operator.index(size)
        out = bytearray()
        while self._pos < self._size and (size < 0 or len(out) < size):
            want = self._size - self._pos if size < 0 else size - len(out)
            chunk, start, stop = self._span(self._pos, want)
            newline = chunk.find(b"\n", start, stop)
            if newline >= 0:
                stop = newline + 1
            out += chunk[start:stop]
            self._pos += stop - start
            if newline >= 0:
                break
        return bytes(out)

    def write(self, data) -> int:
        self._check_open()
        with memoryview(data) as raw, raw.cast("B") as view:
            n = len(view)
            if n == 0:
                return 0
            end = self._pos + n
            if self._mem is not None and end > self._max_memory:
                self._rollover()
            if self._mem is not None:
                if self._pos > len(self._mem):
                    self._mem.extend(bytes(self._pos - len(self._mem)))
                self._mem[self._pos:end] = view
            else:
                self._size = max(self._size, end)  # first, so the pages touched have their full length
                done = 0
                while done < n:
                    page, offset = divmod(self._pos + done, PAGE)
                    take = min(n - done, PAGE - offset)
                    if offset == 0 and take == min(PAGE, self._size - page * PAGE):
                        self._replace_page(page, view[done:done + take])  # whole page: nothing to read back
                    else:
                        self._page(page)[offset:offset + take] = view[done:done + take]
                        self._dirty = True
                    done += take
        self._size = max(self._size, end)
        self._pos = end
        return n

    def truncate(self, size: int | None = None) -> int:
        self._check_open()
        size = self._pos if size is None else operator.index(size)
        if size < 0:
            raise ValueError(f"negative size value {size}")
        if self._mem is not None and size > self._max_memory:
            self._rollover()
        if self._mem is not None:
            if size < len(self._mem):
                del self._mem[size:]
            else:
                self._mem.extend(bytes(size - len(self._mem)))
        elif size < self._size:
            self._size = size
            page, offset = divmod(size, PAGE)
            first_gone = page + 1 if offset else page
            if offset:
                self._page(page)  # cut to `offset` bytes and sealed again: the old tail must not come back
                self._dirty = True
            for gone in [p for p in self._pages if p >= first_gone]:
                del self._pages[gone]
            if self._cache_page >= first_gone:
                self._drop_cache()
            os.ftruncate(self._fd, size)
        self._size = size
        return size

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._mem is not None:
                self._mem[:] = bytes(len(self._mem))  # best effort: the plaintext leaves no copy behind
            self._drop_cache()
            if self._disk is not None:
                self._disk.close()
        finally:
            self._mem, self._disk, self._fd, self._aead, self._pages = None, None, -1, None, {}
            super().close()

    # --- pages ----------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def _span(self, pos: int, limit: int) -> tuple[bytearray, int, int]:
        """(buffer, start, stop): the bytes from `pos` on that sit in one buffer, at most `limit`."""
        if self._mem is not None:
            return self._mem, pos, pos + limit
        page, offset = divmod(pos, PAGE)
        data = self._page(page)
        return data, offset, offset + min(limit, len(data) - offset)

    def _page(self, page: int) -> bytearray:
        """The cached plaintext of `page`, exactly as long as the file's size makes it."""
        if page != self._cache_page:
            self._flush_page()
            self._cache = self._load(page)
            self._cache_page = page
        length = max(0, min(PAGE, self._size - page * PAGE))
        if len(self._cache) < length:  # never written, or written before the file grew: zeros
            self._cache.extend(bytes(length - len(self._cache)))
        elif len(self._cache) > length:
            del self._cache[length:]
        return self._cache

    def _replace_page(self, page: int, data) -> None:
        if page != self._cache_page:
            self._flush_page()
            self._cache_page = page
        self._cache = bytearray(data)
        self._dirty = True

    def _load(self, page: int) -> bytearray:
        entry = self._pages.get(page)
        if entry is None:
            return bytearray()
        counter, tag, length = entry
        sealed = os.pread(self._fd, length, page * PAGE)
        if len(sealed) != length:
            raise TempFileTampered(f"encrypted temporary file: page {page} was cut short on disk")
        try:
            return bytearray(self._aead.decrypt(_nonce(counter), sealed + tag, _aad(page)))
        except InvalidTag:
            raise TempFileTampered(f"encrypted temporary file: page {page} was changed on disk") from None

    def _flush_page(self) -> None:
        if not self._dirty:
            return
        page, data = self._cache_page, self._cache
        if not data:
            self._pages.pop(page, None)
            self._dirty = False
            return
        self._counter += 1  # never reused, even if the write below fails
        sealed = self._aead.encrypt(_nonce(self._counter), bytes(data), _aad(page))
        with memoryview(sealed) as view, view[:-TAG] as body:
            written = 0
            while written < len(body):  # a full disk raises here; the page stays dirty in memory
                written += os.pwrite(self._fd, body[written:], page * PAGE + written)
        self._pages[page] = (self._counter, sealed[-TAG:], len(data))
        self._dirty = False

    def _drop_cache(self) -> None:
        self._cache[:] = bytes(len(self._cache))
        self._cache = bytearray()
        self._cache_page = -1
        self._dirty = False

    def _rollover(self) -> None:
        """Move the in-memory content to the encrypted file on disk."""
        self._disk = tempfile.TemporaryFile(dir=self._dir, prefix="vault-enc-", buffering=0)
        self._fd = self._disk.fileno()
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        mem, self._mem = self._mem, None
        self._size = len(mem)
        for page in range(0, (len(mem) + PAGE - 1) // PAGE):
            self._replace_page(page, mem[page * PAGE:(page + 1) * PAGE])
        self._flush_page()
        mem[:] = bytes(len(mem))
