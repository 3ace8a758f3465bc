"""What holding uploads encrypted in TMPDIR costs on the upload path (`[upload temp]` section).

Both paths take the same multipart body from disk through Werkzeug's parser, read the held file
once (what the content checks do), and store it with `save_blob`:
  before  Werkzeug's default spool (plaintext temp file past 500 KB), then `validation.spool`'s old
          plaintext copy (mkstemp), stored from that copy
  now     `VaultRequest`'s encrypted temp file (`vault.tempcrypt`), adopted by `validation.spool`
          without a copy, stored from it
"""
from __future__ import annotations

import os
import shutil
import tempfile
import tracemalloc
from pathlib import Path

MiB = 1024 * 1024
BOUNDARY = "vaultbenchboundary"


def write_body(path: Path, source: Path) -> int:
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    with open(path, "wb") as out, open(source, "rb") as src:
        out.write(head)
        shutil.copyfileobj(src, out, MiB)
        out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return path.stat().st_size


def parse(body: Path, request_class):
    """The uploaded file's stream, as `request_class` (flask.Request or VaultRequest) parses it."""
    with open(body, "rb") as fh:
        environ = {"REQUEST_METHOD": "POST", "wsgi.input": fh, "CONTENT_LENGTH": str(body.stat().st_size),
                   "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}"}
        request = request_class(environ)
        request.max_content_length = None
        return request.files["file"].stream


def read_through(fh) -> int:
    fh.seek(0)
    return sum(len(c) for c in iter(lambda: fh.read(MiB), b""))


def upload_before(body: Path, context: str):
    from flask import Request

    from vault import db
    from vault.storage import service

    stream = parse(body, Request)
    fd, tmp = tempfile.mkstemp(prefix="vault-upload-")  # the old validation.spool
    try:
        with os.fdopen(fd, "wb") as out:
            stream.seek(0)
            shutil.copyfileobj(stream, out, MiB)
        stream.close()
        with open(tmp, "rb") as fh:
            read_through(fh)
            fh.seek(0)
            blob = service.save_blob(db.session(), iter(lambda: fh.read(MiB), b""), context=context)
    finally:
        os.unlink(tmp)
    db.session().commit()
    return blob


def upload_now(body: Path, context: str):
    from vault import db
    from vault.documents import validation
    from vault.http import VaultRequest
    from vault.storage import service

    stream = parse(body, VaultRequest)
    with validation.spool(stream, max_bytes=1 << 40) as spooled:
        read_through(spooled.source)
        blob = service.save_blob(db.session(), spooled.chunks(MiB), context=context)
    stream.close()
    db.session().commit()
    return blob


def bench_upload_temp(app, root: Path, source: Path, size: int, repeats: int, best_of) -> dict:
    from flask import Request

    from vault.http import VaultRequest

    body = root / "multipart-body.bin"
    write_body(body, source)
    mb = size / 1e6
    with app.app_context():
        upload_before(body, "document:bench/version:warm-before")  # imports, pools and page cache warmed up
        upload_now(body, "document:bench/version:warm-now")
        t_before = best_of(repeats, lambda: upload_before(body, "document:bench/version:before"))
        t_now = best_of(repeats, lambda: upload_now(body, "document:bench/version:now"))
        tracemalloc.start()
        upload_now(body, "document:bench/version:peak")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        parse_plain = best_of(repeats, lambda: parse(body, Request).close())
        parse_enc = best_of(repeats, lambda: parse(body, VaultRequest).close())
    body.unlink()
    r = {"size_MB": mb, "before_MBps": mb / t_before, "now_MBps": mb / t_now, "ratio": t_now / t_before,
         "parse_plain_MBps": mb / parse_plain, "parse_encrypted_MBps": mb / parse_enc,
         "tracemalloc_peak_MB": peak / 1e6}
    print(f"\n[upload temp] one {mb:.0f} MB multipart upload: parse, hold, read once (the checks), save_blob; "
          f"best of {repeats}")
    print(f"  before (plaintext temp files): {r['before_MBps']:,.0f} MB/s   now (encrypted, no copy): "
          f"{r['now_MBps']:,.0f} MB/s   -> {r['ratio']:.2f}x the time")
    print(f"  Werkzeug parse alone: plaintext spool {r['parse_plain_MBps']:,.0f} MB/s, encrypted "
          f"{r['parse_encrypted_MBps']:,.0f} MB/s")
    print(f"  peak memory of the new path (tracemalloc): {r['tracemalloc_peak_MB']:.1f} MB")
    return r
