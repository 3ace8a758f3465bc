"""Master keys from VAULT_MASTER_KEYS: parse errors that name the problem and never echo a key, use
without any key file, refusal of the commands that would change the keys, rotation by the variable."""
import base64
import os
from pathlib import Path

import pytest

from tests.auth.helpers import code, login
from tests.conftest import make_app
from tests.test_setup_cli import run_vault
from vault import create_app, db
from vault.auth import secrets as totp_secrets
from vault.auth import service as auth_service
from vault.crypto import Keyring, KeyringError
from vault.storage import get_keyring, keys_from_environment

from .test_rotation import all_rows
from .test_service import read, save


def b64(n: int = 32) -> str:
    return base64.b64encode(os.urandom(n)).decode()


K1, K2 = b64(), b64()


def _materials(spec: str) -> list[str]:
    """The key material in a spec (the part after the colon, or a whole entry without one)."""
    parts = [e.partition(":")[2] or e for e in spec.split(",")]
    return [p.strip()[:12] for p in parts if len(p.strip()) >= 12]


@pytest.mark.parametrize("spec, active, message", [
    ("", None, "VAULT_MASTER_KEYS is set but empty"),
    (42, None, "VAULT_MASTER_KEYS is set but empty or not text"),  # what JSON parsing makes of a number
    (K1, None, "VAULT_MASTER_KEYS, entry 1 is not of the form key_id:base64key"),  # a bare key
    (f"k1:{K1},", None, "entry 2 is not of the form key_id:base64key"),
    (f"key1:{K1}", None, "entry 1: key id must be k1, k2, ..."),
    (f"k1:{K1},k1:{K2}", None, "entry 2: key id k1 appears twice"),
    (f"k1:{K1[:-4]}", None, "entry 1 (k1): the key is 30 bytes, a master key must be 32 bytes"),
    (f"k1:{K1},k2:{b64(16)}", None, "entry 2 (k2): the key is 16 bytes"),
    (f"k1:{b64(64)}", None, "the key is 64 bytes"),
    ("k1:" + K1.replace(K1[5], "*"), None, "entry 1 (k1): the key is not valid base64"),
    (f"k1:{K1}", "k2", "VAULT_ACTIVE_KEY names a key that is not in VAULT_MASTER_KEYS (which has k1)"),
])
def test_parse_errors_name_the_problem_and_never_echo_a_key(spec, active, message):
    with pytest.raises(KeyringError) as caught:
        Keyring.from_spec(spec, active)
    assert message in str(caught.value)
    for material in _materials(spec) if isinstance(spec, str) else []:
        assert material not in str(caught.value)


def test_parse_first_key_is_active_unless_named():
    urlsafe_unpadded = base64.urlsafe_b64encode(base64.b64decode(K2)).decode().rstrip("=")
    ring = Keyring.from_spec(f" k2:{K1} , k1:{urlsafe_unpadded} ")
    assert ring.active == "k2" and ring.keys["k2"].key == base64.b64decode(K1)
    assert ring.keys["k1"].key == base64.b64decode(K2)
    assert Keyring.from_spec(f"k2:{K1},k1:{K2}", "k1").active == "k1"


def env_app(tmp_path, spec: str, **kw):
    """An app whose keys come from the variable; the key file make_app writes is removed."""
    app = make_app(tmp_path, MASTER_KEYS=spec, **kw)
    Path(app.config["MASTER_KEY_FILE"]).unlink()
    return app


def test_env_keys_are_used_and_no_key_file_is_needed_or_written(tmp_path):
    app = env_app(tmp_path, f"k1:{K1}")
    assert app.config["MASTER_KEYS"] is None  # the material is not left in the config
    blob = save(app, context="document:d1/version:v1")
    assert blob.master_key_id == "k1" and read(app, blob, "document:d1/version:v1")
    with app.app_context():
        assert keys_from_environment() and get_keyring().keys["k1"].key == base64.b64decode(K1)
        sess = db.session()
        user = auth_service.create_user(sess, email="e@example.com", password="correct horse battery staple 42",
                                        role="viewer")
        seed = auth_service.start_totp(sess, user)
        sess.commit()
        assert totp_secrets.open_secret(Keyring.from_spec(f"k1:{K1}"), user.id, user.totp_secret) == seed
    runner = app.test_cli_runner()
    status = runner.invoke(args=["keys", "status"])
    assert "Master keys from VAULT_MASTER_KEYS" in status.output and "wraps 1 files" in status.output
    check = runner.invoke(args=["storage", "check"])
    assert check.exit_code == 0 and "Storage OK" in check.output
    assert not Path(app.config["MASTER_KEY_FILE"]).exists()


@pytest.mark.parametrize("args", [["keys", "add"], ["keys", "rotate"], ["keys", "rotate", "--to", "k2"],
                                  ["keys", "retire", "k2", "--yes"]])
def test_commands_that_change_keys_refuse(tmp_path, args):
    app = env_app(tmp_path, f"k1:{K1},k2:{K2}")
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert f"the master keys come from VAULT_MASTER_KEYS, so `vault keys {args[1]}` cannot change them" in result.output
    assert not Path(app.config["MASTER_KEY_FILE"]).exists()
    assert K1 not in result.output and K2 not in result.output


def test_rotating_by_changing_the_variable_then_rewrap(tmp_path):
    old = env_app(tmp_path, f"k1:{K1}")
    blob = save(old, context="document:d1/version:v1")
    with old.app_context():
        sess = db.session()
        user = auth_service.create_user(sess, email="r@example.com", password="correct horse battery staple 42",
                                        role="viewer")
        seed = auth_service.start_totp(sess, user)
        user.totp_enabled = True
        sess.commit()
    old.extensions["vault.engine"].dispose()

    new = env_app(tmp_path, f"k2:{K2},k1:{K1}")  # new key first: active after the restart
    assert read(new, blob, "document:d1/version:v1")  # old files still open with k1
    result = new.test_cli_runner().invoke(args=["keys", "rewrap"])
    assert result.exit_code == 0, result.output
    assert "Rewrapped 1 stored files under k2" in result.output
    assert "Re-sealed 1 two-factor secrets under k2" in result.output
    new.extensions["vault.engine"].dispose()

    final = env_app(tmp_path, f"k2:{K2}")  # k1 removed from the secret manager
    assert read(final, all_rows(final)[0], "document:d1/version:v1")
    client = final.test_client()
    login(client, "r@example.com")
    assert client.post("/login/code", data={"code": code(seed)}).status_code == 302
    final.extensions["vault.engine"].dispose()


def test_a_malformed_variable_stops_start_up(tmp_path):
    with pytest.raises(KeyringError, match="entry 1 .k1.: the key is 16 bytes"):
        make_app(tmp_path, MASTER_KEYS=f"k1:{b64(16)}")
    with pytest.raises(KeyringError, match="VAULT_ACTIVE_KEY is set but VAULT_MASTER_KEYS is not"):
        make_app(tmp_path, ACTIVE_KEY="k1")


def test_read_from_the_environment(tmp_path, monkeypatch):
    for name in [n for n in os.environ if n.startswith("VAULT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("VAULT_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("VAULT_MASTER_KEYS", f'"k1:{K1},k2:{K2}"')  # quotes as `docker --env-file` keeps them
    monkeypatch.setenv("VAULT_ACTIVE_KEY", "k2")
    app = create_app()
    with app.app_context():
        assert get_keyring().active == "k2" and set(get_keyring().keys) == {"k1", "k2"}
    assert app.config["MASTER_KEYS"] is None


def test_vault_init_writes_no_key_file_and_bad_input_is_one_clear_line(tmp_path):
    instance = tmp_path / "inst"
    ok = run_vault(instance, "init", "--no-input", env_extra={"VAULT_MASTER_KEYS": f"k1:{K1}"})
    assert ok.returncode == 0, ok.stderr
    assert "come from VAULT_MASTER_KEYS; no key file is written" in ok.stdout
    assert not (instance / "master_keys.json").exists()
    short = b64(16)
    bad = run_vault(instance, "keys", "status", env_extra={"VAULT_MASTER_KEYS": f"k1:{K1},k2:{short}"})
    assert bad.returncode == 1
    assert "Error: VAULT_MASTER_KEYS, entry 2 (k2): the key is 16 bytes" in bad.stderr
    assert "Traceback" not in bad.stderr
    for secret in (K1, short):
        assert secret not in bad.stderr + bad.stdout
