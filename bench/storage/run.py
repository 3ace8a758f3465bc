"""Encrypted storage benchmark: what envelope encryption costs, and what rotation saves.

    .venv/bin/python -m bench.storage [--size-mb 200] [--files 300] [--s3] [--dir /mnt/disk]

Prints figures, ratios and the targets (encrypted round trip within 2x of a plain copy; peak memory
under 64 MB); writes bench/out/storage.json. Sections:
  roundtrip  one large file uploaded through save_blob and downloaded through open_blob (local
             backend), against a plain shutil.copyfileobj copy of the same file, same run; peak
             memory by tracemalloc and by the ru_maxrss growth of a child process doing the same
  crypto     AES-GCM stream throughput per segment size, against sha256 (computed on every save)
  small      many 100 KB files: save + commit and open, per file, against the bare store
  rotation   `vault keys rotate` rewrap rate against re-encrypting every object
  upload temp  the upload path with uploads held encrypted in TMPDIR (vault.tempcrypt) against the
             plaintext temp files used before (bench/storage/upload_temp.py); --upload-temp-only runs
             just this section
  s3         (--s3) the round trip through S3 (moto in a subprocess, or --s3-endpoint), against
             the bare S3 store with the same bytes unencrypted
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.matching.paths import REPO

MiB = 1024 * 1024
CHUNK = MiB  # what an upload stream hands over at a time
OUT = REPO / "bench" / "out" / "storage.json"
CONTEXT = "document:bench/version:1"
TARGET_RATIO = 2.0
TARGET_MEM_MB = 64


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def drain(it) -> int:
    return sum(len(x) for x in it)


def read_chunks(fh):
    return iter(lambda: fh.read(CHUNK), b"")


def make_bench_app(root: Path, **overrides):
    from vault import create_app, crypto
    from vault.db import Base
    import vault.models  # noqa: F401

    inst = root / f"instance-{secrets.token_hex(4)}"
    inst.mkdir(parents=True)
    crypto.create_keyring_file(inst / "master_keys.json")
    app = create_app({"INSTANCE_PATH": str(inst), "SECRET_KEY": "bench", "TESTING": True,
                      "DATABASE_URL": f"sqlite:///{inst / 'vault.db'}", **overrides})
    Base.metadata.create_all(app.extensions["vault.engine"])
    return app


def write_source(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        for _ in range(size // MiB):
            fh.write(os.urandom(MiB))
        fh.write(os.urandom(size % MiB))


# --- the encrypted round trip (also run alone in a child process for ru_maxrss) -------------------

def encrypted_upload(src: Path):
    from vault import db
    from vault.storage import service

    sess = db.session()
    with open(src, "rb") as fh:
        blob = service.save_blob(sess, read_chunks(fh), context=CONTEXT)
    sess.commit()
    return blob


def encrypted_download(blob, dst: Path) -> None:
    from vault.storage import service

    with open(dst, "wb") as out:
        for piece in service.open_blob(blob, context=CONTEXT):
            out.write(piece)


def plain_upload(src: Path, dst: Path, fsync: bool) -> None:
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout, CHUNK)
        if fsync:  # what the store does before it reports success
            fout.flush()
            os.fsync(fout.fileno())


def plain_download(src: Path, dst: Path) -> None:
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout, CHUNK)


def child_roundtrip(src: Path, root: Path) -> None:
    """Run in a fresh process: report how much the round trip grows the peak RSS."""
    app = make_bench_app(root)
    with app.app_context():
        small = root / "warmup.bin"
        small.write_bytes(os.urandom(CHUNK))
        encrypted_download(encrypted_upload(small), root / "warmup.out")  # imports and pools warmed up
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        encrypted_download(encrypted_upload(src), root / "child.out")
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    app.extensions["vault.engine"].dispose()
    print(json.dumps({"maxrss_before_kib": before, "maxrss_after_kib": after}))


def bench_roundtrip(root: Path, size: int, repeats: int) -> dict:
    src, out = root / "source.bin", root / "download.bin"
    write_source(src, size)
    app = make_bench_app(root)
    mb = size / 1e6
    try:
        with app.app_context():
            plain_file = root / "plain-copy.bin"
            p_up = best_of(repeats, lambda: plain_upload(src, plain_file, fsync=True))
            p_up_nosync = best_of(repeats, lambda: plain_upload(src, plain_file, fsync=False))
            p_down = best_of(repeats, lambda: plain_download(plain_file, out))
            holder = {}
            e_up = best_of(repeats, lambda: holder.__setitem__("blob", encrypted_upload(src)))
            e_down = best_of(repeats, lambda: encrypted_download(holder["blob"], out))
            with open(out, "rb") as fh:
                assert hashlib.file_digest(fh, "sha256").hexdigest() == holder["blob"].sha256
            tracemalloc.start()
            encrypted_download(encrypted_upload(src), out)
            traced_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    finally:
        app.extensions["vault.engine"].dispose()
    child = subprocess.run([sys.executable, "-m", "bench.storage", "--child-roundtrip", str(src), "--dir", str(root)],
                           cwd=REPO, capture_output=True, text=True, check=True)
    rss = json.loads(child.stdout.strip().splitlines()[-1])
    rss_growth = (rss["maxrss_after_kib"] - rss["maxrss_before_kib"]) * 1024

    ratio = (e_up + e_down) / (p_up + p_down)
    ratio_nosync = (e_up + e_down) / (p_up_nosync + p_down)
    peak = max(traced_peak, rss_growth)
    r = {"size_MB": mb, "plain_up_MBps": mb / p_up, "plain_up_nofsync_MBps": mb / p_up_nosync,
         "plain_down_MBps": mb / p_down, "enc_up_MBps": mb / e_up, "enc_down_MBps": mb / e_down,
         "roundtrip_ratio": ratio, "roundtrip_ratio_vs_no_fsync": ratio_nosync,
         "tracemalloc_peak_MB": traced_peak / 1e6, "child_maxrss_growth_MB": rss_growth / 1e6,
         "target_ratio_met": ratio <= TARGET_RATIO, "target_memory_met": peak < TARGET_MEM_MB * 1e6}
    print(f"\n[roundtrip] one {mb:.0f} MB file, local backend, best of {repeats}")
    print(f"  {'':>9}  {'plain copy MB/s':>15}  {'encrypted MB/s':>14}")
    print(f"  {'upload':>9}  {r['plain_up_MBps']:>15,.0f}  {r['enc_up_MBps']:>14,.0f}   "
          f"(plain without fsync: {r['plain_up_nofsync_MBps']:,.0f})")
    print(f"  {'download':>9}  {r['plain_down_MBps']:>15,.0f}  {r['enc_down_MBps']:>14,.0f}")
    print(f"  round trip: encrypted takes {ratio:.2f}x the plain copy with fsync "
          f"({ratio_nosync:.2f}x the copy without fsync) -- target <= {TARGET_RATIO:.0f}x: "
          f"{'met' if r['target_ratio_met'] else 'MISSED'}")
    print(f"  peak memory: tracemalloc {traced_peak / 1e6:.1f} MB, child process max RSS grew "
          f"{rss_growth / 1e6:.1f} MB -- target < {TARGET_MEM_MB} MB: "
          f"{'met' if r['target_memory_met'] else 'MISSED'}")
    return r


# --- the other sections --------------------------------------------------------------------------

def bench_crypto(size: int, repeats: int) -> dict:
    from vault import crypto
    data = os.urandom(size)
    chunks = [data[i:i + CHUNK] for i in range(0, size, CHUNK)]
    mb = size / 1e6
    sha = mb / best_of(repeats, lambda: hashlib.sha256(data).digest())
    rows = {}
    for seg in (16 * 1024, 64 * 1024, 256 * 1024, MiB):
        dek = crypto.new_data_key()
        blob = b"".join(crypto.encrypt_stream(dek, chunks, "bench", seg))
        sealed = [blob[i:i + CHUNK] for i in range(0, len(blob), CHUNK)]
        enc = mb / best_of(repeats, lambda: drain(crypto.encrypt_stream(dek, chunks, "bench", seg)))
        dec = mb / best_of(repeats, lambda: drain(crypto.decrypt_stream(dek, sealed, "bench")))
        rows[seg] = {"encrypt_MBps": enc, "decrypt_MBps": dec, "overhead_pct": 100 * (len(blob) - size) / size}
    print(f"\n[crypto] {mb:.0f} MB in memory; sha256 {sha:,.0f} MB/s (every save hashes the plaintext)")
    print(f"  {'segment':>8}  {'encrypt MB/s':>12}  {'decrypt MB/s':>12}  {'size overhead':>13}")
    for seg, r in rows.items():
        mark = "  <- default" if seg == crypto.DEFAULT_SEGMENT else ""
        print(f"  {seg // 1024:>6} K  {r['encrypt_MBps']:>12,.0f}  {r['decrypt_MBps']:>12,.0f}  "
              f"{r['overhead_pct']:>12.3f}%{mark}")
    return {"sha256_MBps": sha, "segments": {str(k): v for k, v in rows.items()}}


def bench_small(app, files: int, size: int = 100_000) -> dict:
    from vault import db
    from vault.storage import get_store, service

    block = os.urandom(size)
    with app.app_context():
        store = get_store()
        sess = db.session()
        keys = [service._object_key(secrets.token_hex(16)) for _ in range(files)]
        start = time.perf_counter()
        for k in keys:
            store.put(k, [block])
        raw_w = time.perf_counter() - start
        start = time.perf_counter()
        for k in keys:
            drain(store.get(k))
        raw_r = time.perf_counter() - start
        blobs = []
        start = time.perf_counter()
        for i in range(files):
            blobs.append(service.save_blob(sess, [block], context=f"document:small/version:{i}"))
            sess.commit()  # one upload = one transaction, as in the app
        enc_w = time.perf_counter() - start
        start = time.perf_counter()
        for b in blobs:
            drain(service.open_blob(b, context=b.context))
        enc_r = time.perf_counter() - start
    r = {"files": files, "file_bytes": size, "raw_write_ms": 1000 * raw_w / files, "raw_read_ms": 1000 * raw_r / files,
         "enc_write_ms": 1000 * enc_w / files, "enc_read_ms": 1000 * enc_r / files}
    print(f"\n[small] {files} files of {size // 1000} KB, per file (encrypted write includes its row and commit)")
    print(f"  write  bare store {r['raw_write_ms']:.2f} ms  encrypted {r['enc_write_ms']:.2f} ms  "
          f"({r['enc_write_ms'] / r['raw_write_ms']:.2f}x)")
    print(f"  read   bare store {r['raw_read_ms']:.2f} ms  encrypted {r['enc_read_ms']:.2f} ms  "
          f"({r['enc_read_ms'] / r['raw_read_ms']:.2f}x)")
    return r


def bench_rotation(app, files: int, size: int = 1_000_000) -> dict:
    """Rewrap every data key (what rotation does) vs re-encrypting every object (what it avoids)."""
    from sqlalchemy import func, select

    from vault import db
    from vault.storage import get_keyring, service
    from vault.storage.models import StoredBlob

    block = os.urandom(size)
    with app.app_context():
        sess = db.session()
        blobs = [service.save_blob(sess, [block], context=f"document:rot/version:{i}") for i in range(files)]
        sess.commit()
        # Baseline: read, decrypt, re-encrypt and write back every object (rotation without envelopes).
        start = time.perf_counter()
        for b in blobs:
            plain = b"".join(service.open_blob(b, context=b.context))
            service.save_blob(sess, [plain], context=b.context + "/again")
        sess.commit()
        reencrypt = (time.perf_counter() - start) / files
        total = sess.scalar(select(func.count()).select_from(StoredBlob))
        service.rotate_master_key(app.config["MASTER_KEY_FILE"])
        keyring = get_keyring()
        start = time.perf_counter()
        after, done = 0, 0
        while True:
            batch = service.rewrap_batch(sess, keyring, after_id=after, batch_size=500)
            sess.commit()
            if batch.last_id is None:
                break
            after, done = batch.last_id, done + batch.rewrapped
        rewrap = time.perf_counter() - start
    assert total == done, (total, done)
    r = {"rewrapped": done, "rewrap_s": rewrap, "rewrap_files_per_s": done / rewrap,
         "reencrypt_ms_per_file": 1000 * reencrypt, "file_bytes": size, "speedup": reencrypt / (rewrap / done)}
    print(f"\n[rotation] {done} files rewrapped in {rewrap:.2f} s ({r['rewrap_files_per_s']:,.0f} files/s), "
          "0 object bytes rewritten")
    print(f"  re-encrypting each {size // 1000} KB object instead: {r['reencrypt_ms_per_file']:.1f} ms/file; "
          f"rewrap is {r['speedup']:,.0f}x faster per file, and the gap grows with file size")
    return r


def start_moto() -> tuple[subprocess.Popen, str]:
    """moto in its own process, so its in-memory objects do not count in our memory figures."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return server, f"http://127.0.0.1:{port}"


def bench_s3(root: Path, args, size: int) -> dict:
    from vault.storage import get_store
    from vault.storage.s3 import make_client

    server, endpoint = (None, args.s3_endpoint) if args.s3_endpoint else start_moto()
    try:
        key_id = os.environ.get("BENCH_S3_ACCESS_KEY_ID", "bench")
        secret = os.environ.get("BENCH_S3_SECRET_ACCESS_KEY", "bench")
        bucket = args.s3_bucket or f"vault-bench-{secrets.token_hex(4)}"
        if not args.s3_bucket:
            make_client(endpoint_url=endpoint, access_key_id=key_id, secret_access_key=secret).create_bucket(
                Bucket=bucket)
        app = make_bench_app(root, STORAGE="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=endpoint, S3_REGION="us-east-1",
                             S3_ACCESS_KEY_ID=key_id, S3_SECRET_ACCESS_KEY=secret, S3_PREFIX="bench/")
        src, out = root / "s3-source.bin", root / "s3-download.bin"
        write_source(src, size)
        mb = size / 1e6
        with app.app_context():
            store = get_store()
            plain_key = "00/00/" + "0" * 32

            def plain_up():
                with open(src, "rb") as fh:
                    store.put(plain_key, read_chunks(fh))

            def plain_down():
                with open(out, "wb") as fh:
                    for piece in store.get(plain_key):
                        fh.write(piece)

            p_up, p_down = best_of(args.repeats, plain_up), best_of(args.repeats, plain_down)
            holder = {}
            e_up = best_of(args.repeats, lambda: holder.__setitem__("blob", encrypted_upload(src)))
            e_down = best_of(args.repeats, lambda: encrypted_download(holder["blob"], out))
            tracemalloc.start()
            encrypted_download(encrypted_upload(src), out)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        app.extensions["vault.engine"].dispose()
    finally:
        if server:
            server.terminate()
            server.wait(10)
    label = "moto" if server else endpoint
    r = {"size_MB": mb, "server": label, "plain_up_MBps": mb / p_up, "plain_down_MBps": mb / p_down,
         "enc_up_MBps": mb / e_up, "enc_down_MBps": mb / e_down,
         "roundtrip_ratio": (e_up + e_down) / (p_up + p_down), "tracemalloc_peak_MB": peak / 1e6}
    print(f"\n[s3] one {mb:.0f} MB file through {label}, best of {args.repeats}")
    print(f"  upload    unencrypted {r['plain_up_MBps']:,.0f} MB/s  encrypted {r['enc_up_MBps']:,.0f} MB/s")
    print(f"  download  unencrypted {r['plain_down_MBps']:,.0f} MB/s  encrypted {r['enc_down_MBps']:,.0f} MB/s")
    print(f"  round trip ratio {r['roundtrip_ratio']:.2f}x; peak memory (tracemalloc) {peak / 1e6:.1f} MB "
          f"(multipart: one 8 MiB part in flight)")
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=int, default=200, help="large-file size in MB (default 200)")
    ap.add_argument("--files", type=int, default=300, help="small files, and files to rotate (default 300)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None, help="where the files go (default: a temp dir)")
    ap.add_argument("--s3", action="store_true", help="also run through S3")
    ap.add_argument("--s3-endpoint", default=None, help="S3 endpoint (default: moto in a subprocess)")
    ap.add_argument("--s3-bucket", default=None, help="existing bucket (default: create one)")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--upload-temp-only", action="store_true",
                    help="only the [upload temp] section: what encrypted temp files cost on the upload path")
    ap.add_argument("--child-roundtrip", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_roundtrip:
        child_roundtrip(args.child_roundtrip, args.dir)
        return 0
    if args.quick:
        args.size_mb, args.files, args.repeats = 16, 20, 1
    size = args.size_mb * 1_000_000

    results: dict = {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                     "load_average": os.getloadavg(), "args": {k: str(v) for k, v in vars(args).items()}}
    apps = []
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="vault-bench-") as tmp:
        root = Path(tmp)
        try:
            if args.upload_temp_only:
                apps.append(make_bench_app(root))
                results["upload_temp"] = bench_upload_temp_section(apps[-1], root, size, args.repeats)
                return _write(results, args)
            results["roundtrip"] = bench_roundtrip(root, size, args.repeats)
            results["crypto"] = bench_crypto(min(size, 64 * MiB), args.repeats)
            apps.append(make_bench_app(root))
            results["small"] = bench_small(apps[-1], args.files)
            apps.append(make_bench_app(root))
            results["rotation"] = bench_rotation(apps[-1], args.files)
            results["upload_temp"] = bench_upload_temp_section(apps[-1], root, size, args.repeats)
            if args.s3:
                # moto is a Python server: a large file measures moto, not us.
                results["s3"] = bench_s3(root, args, size if args.s3_endpoint else min(size, 64_000_000))
        finally:
            for app in apps:
                app.extensions["vault.engine"].dispose()
    return _write(results, args)


def bench_upload_temp_section(app, root: Path, size: int, repeats: int) -> dict:
    from bench.storage.upload_temp import bench_upload_temp

    src = root / "upload-source.bin"
    write_source(src, size)
    try:
        return bench_upload_temp(app, root, src, size, repeats, best_of)
    finally:
        src.unlink()


def _write(results: dict, args) -> int:
    # A partial run must not overwrite the full figures.
    out = OUT.with_name("storage-upload-temp.json") if args.upload_temp_only else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if args.quick:
        print("\n--quick: files too small and one repeat; fixed costs dominate, so the targets do not apply")
    print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          f"(figures are noisy on a shared machine)\nwritten to {out.relative_to(REPO)}")
    return 0
