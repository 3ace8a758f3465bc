"""OpenPGP cleartext signatures for security.txt (RFC 9116 section 2.3), with the `gpg` binary.

The key file (DISCLOSURE_PGP_KEY, an armored or binary secret key export) is imported into a throw-away
GNUPGHOME for each signing, so nothing is left in a keyring on disk and the app needs no gpg-agent set-up.
Signing happens once per day's file (the view caches the result), so the process cost does not matter.
`pgpy` would avoid the binary, but it is unmaintained (last release 2022) and warns on current Python;
the binary is installed wherever GnuPG is. Without it the file is served unsigned and
`vault disclosure check` says so.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 30


class SigningError(Exception):
    pass


def gpg_binary() -> str | None:
    return shutil.which("gpg")


def clearsign(text: str, key_path: str | os.PathLike, *, passphrase: str = "") -> str:
    """`text` wrapped in a cleartext signature by the secret key in `key_path`; SigningError if impossible."""
    gpg = gpg_binary()
    if gpg is None:
        raise SigningError("the gpg binary is not installed")
    key = Path(key_path)
    if not key.is_file():
        raise SigningError(f"DISCLOSURE_PGP_KEY {key} is not a file")
    home = tempfile.mkdtemp(prefix="vault-gpg-")  # 0700
    base = [gpg, "--homedir", home, "--batch", "--no-tty", "--quiet", "--pinentry-mode", "loopback"]
    try:
        imported = subprocess.run([*base, "--import", str(key)], capture_output=True, timeout=TIMEOUT)
        if imported.returncode != 0:
            raise SigningError(f"gpg could not import the key: {imported.stderr.decode(errors='replace')[:300]}")
        args = [*base, "--clearsign", "--armor", "--digest-algo", "SHA512"]
        if passphrase:
            signed = _sign_with_passphrase(args, text, passphrase)
        else:
            signed = subprocess.run(args, input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT)
        if signed.returncode != 0 or b"BEGIN PGP SIGNED MESSAGE" not in signed.stdout:
            raise SigningError(f"gpg could not sign: {signed.stderr.decode(errors='replace')[:300]}")
        return signed.stdout.decode("utf-8")
    except subprocess.TimeoutExpired as exc:
        raise SigningError("gpg took too long") from exc
    finally:
        if shutil.which("gpgconf"):  # the agent gpg started for this home
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, timeout=TIMEOUT)
        shutil.rmtree(home, ignore_errors=True)


def _sign_with_passphrase(args: list[str], text: str, passphrase: str):
    """The passphrase through a file descriptor of its own, the text on stdin."""
    read_fd, write_fd = os.pipe()
    os.write(write_fd, passphrase.encode("utf-8") + b"\n")
    os.close(write_fd)
    try:
        args = [*args, "--passphrase-fd", str(read_fd)]
        return subprocess.run(args, input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT,
                              pass_fds=(read_fd,))
    finally:
        os.close(read_fd)
