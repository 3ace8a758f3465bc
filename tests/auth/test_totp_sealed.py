"""TOTP seeds sealed at rest: a database dump yields no second factor, rows cannot be swapped or
edited, legacy plaintext rows keep working and get sealed, key rotation keeps every seed usable."""
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text, update

from tests.auth.helpers import code, enable_totp, events, login, reload_user
from tests.test_setup_cli import run_vault
from vault import db
from vault.auth import secrets as totp_secrets
from vault.auth.models import User
from vault.crypto import IntegrityError, Keyring, KeyringError

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


# --- the pure part ---------------------------------------------------------------------------

def test_sealed_token_is_compact_ascii_and_opens_only_for_its_user_and_purpose():
    ring = Keyring.generate()
    token = totp_secrets.seal(ring, 7, SEED)
    assert re.fullmatch(r"v1:k1:[A-Za-z0-9_-]+", token) and len(token) <= 255 and SEED not in token
    assert totp_secrets.seal(ring, 7, SEED) != token  # fresh nonce every time
    assert totp_secrets.open_secret(ring, 7, token) == SEED
    with pytest.raises(IntegrityError):
        totp_secrets.open_secret(ring, 8, token)  # copied to another user's row
    with pytest.raises(IntegrityError):
        ring.unseal(token, purpose="other", context="user:7")  # another purpose's derived key
    with pytest.raises(IntegrityError):
        Keyring.generate().unseal(token, purpose="totp", context="user:7")  # same id, other key material


@pytest.mark.parametrize("mangle, error", [
    (lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), IntegrityError),  # a flipped tag byte
    (lambda t: t[:30], IntegrityError),  # truncated
    (lambda t: t.replace("v1:k1:", "v1:k2:"), IntegrityError),  # relabelled to a key that exists
    (lambda t: t.replace("v1:k1:", "v1:k9:"), KeyringError),  # a key not in the keyring
    (lambda t: t.replace("v1:", "v2:"), IntegrityError),  # unknown version
    (lambda t: "not a secret at all", IntegrityError),
])
def test_tampered_tokens_fail_with_a_typed_error(mangle, error):
    ring = Keyring.generate()
    ring.add_key(activate=False)
    token = totp_secrets.seal(ring, 1, SEED)
    with pytest.raises(error):
        totp_secrets.open_secret(ring, 1, mangle(token))


def test_legacy_and_reseal_rules():
    ring = Keyring.generate()
    assert totp_secrets.is_legacy(SEED) and totp_secrets.open_secret(ring, 1, SEED) == SEED
    assert totp_secrets.needs_reseal(ring, SEED)
    token = totp_secrets.seal(ring, 1, SEED)
    assert not totp_secrets.needs_reseal(ring, token)
    ring.add_key()
    assert totp_secrets.needs_reseal(ring, token) and totp_secrets.open_secret(ring, 1, token) == SEED


# --- through the app -------------------------------------------------------------------------

def _stored(app, user_id: int) -> str:
    with app.app_context():
        return db.session().execute(text("select totp_secret from users where id = :id"), {"id": user_id}).scalar()


def _set_stored(app, user_id: int, value: str) -> None:
    with app.app_context():
        sess = db.session()
        sess.execute(update(User).where(User.id == user_id).values(totp_secret=value))
        sess.commit()


def _enrol(app, client, user) -> str:
    """Sign in, set up and confirm two-factor through the pages; returns the seed the user saw."""
    login(client, user.email)
    assert client.post("/account/2fa/setup").location == "/account/2fa"
    page = client.get("/account/2fa").get_data(as_text=True)
    seed = re.search(r"secret=([A-Z2-7]+)", page).group(1)
    assert f"<code>{seed}</code>" in page
    # The previous step's code (accepted as drift) leaves this step and the next one for sign-ins.
    assert client.post("/account/2fa/confirm", data={"confirm-code": code(seed, -1)}).location == "/account"
    client.post("/logout")
    return seed


def _sign_in(app, user, seed: str, ahead: int = 1):
    """Password then code in a fresh browser; returns the code step's response."""
    c = app.test_client()
    assert login(c, user.email).location == "/login/code"
    resp = c.post("/login/code", data={"code": code(seed, ahead)})
    return resp, c


def test_a_database_dump_never_contains_the_seed(app, client, make_user):
    user = make_user("viewer")
    seed = _enrol(app, client, user)
    stored = _stored(app, user.id)
    assert stored.startswith("v1:k1:") and seed not in stored
    assert reload_user(app, user.id).totp_enabled is True
    app.extensions["vault.engine"].dispose()  # checkpoint the WAL into the file
    dump = b"".join(p.read_bytes() for p in Path(app.instance_path).glob("vault.db*"))
    assert seed.encode() not in dump


def test_sign_in_with_a_sealed_seed_works_end_to_end(app, client, make_user):
    user = make_user("viewer")
    seed = _enrol(app, client, user)
    resp, browser = _sign_in(app, user, seed)
    assert resp.status_code == 302 and browser.get("/account").status_code == 200
    assert [e.detail for e in events(app, "auth.login")][-1] == {"method": "password+totp"}


def test_a_sealed_seed_copied_to_another_user_does_not_work(app, make_user):
    victim, attacker = make_user("admin"), make_user("viewer")
    enable_totp(app, attacker.id)
    seed = _enrol(app, app.test_client(), victim)
    _set_stored(app, attacker.id, _stored(app, victim.id))  # the attacker copies the admin's row into theirs
    resp, browser = _sign_in(app, attacker, seed)
    assert resp.status_code == 200 and b"not valid" in resp.data
    assert browser.get("/account").status_code == 302
    (ev,) = events(app, "user.totp_unreadable")
    assert ev.object_id == str(attacker.id) and ev.outcome == "failed" and "tampered or moved" in ev.detail["reason"]


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
    lambda t: t.replace("v1:k1:", "v1:k9:"),  # names a key this instance does not have
    lambda t: "v1:k1:" + "A" * 80,
    lambda t: "garbage",
])
def test_a_tampered_row_refuses_sign_in_cleanly(app, client, make_user, mangle):
    user = make_user("viewer")
    seed = _enrol(app, client, user)
    _set_stored(app, user.id, mangle(_stored(app, user.id)))
    resp, browser = _sign_in(app, user, seed)
    assert resp.status_code == 200 and b"not valid" in resp.data
    assert browser.get("/account").status_code == 302
    assert len(events(app, "user.totp_unreadable")) == 1


def test_a_tampered_pending_seed_offers_a_fresh_set_up(app, client, make_user):
    user = make_user("viewer")
    login(client, user.email)
    client.post("/account/2fa/setup")
    _set_stored(app, user.id, _stored(app, user.id)[:-3] + "xyz")
    page = client.get("/account/2fa")
    assert page.status_code == 200 and b"otpauth://" not in page.data and b"/account/2fa/setup" in page.data
    resp = client.post("/account/2fa/confirm", data={"confirm-code": "123456"}, follow_redirects=True)
    assert resp.status_code == 200 and b"Start the set-up again" in resp.data
    assert reload_user(app, user.id).totp_enabled is False


def test_set_up_without_readable_keys_is_refused_and_stores_nothing(app, client, make_user):
    user = make_user("viewer")
    login(client, user.email)
    Path(app.config["MASTER_KEY_FILE"]).unlink()
    resp = client.post("/account/2fa/setup", follow_redirects=True)
    assert resp.status_code == 200 and b"cannot read its encryption keys" in resp.data
    assert _stored(app, user.id) is None


def test_a_legacy_plaintext_row_works_and_is_sealed_on_first_use(app, make_user):
    user = make_user("viewer")
    seed = enable_totp(app, user.id)  # written the way releases before sealing did
    assert _stored(app, user.id) == seed
    resp, _ = _sign_in(app, user, seed, ahead=0)
    assert resp.status_code == 302
    stored = _stored(app, user.id)
    assert stored.startswith("v1:k1:") and seed not in stored
    resp, _ = _sign_in(app, user, seed, ahead=1)  # and the sealed seed opens next time
    assert resp.status_code == 302


def test_keys_rewrap_seals_legacy_rows_in_bulk(app, make_user):
    users = [make_user("viewer") for _ in range(3)]
    seeds = [enable_totp(app, u.id) for u in users]
    runner = app.test_cli_runner()
    status = runner.invoke(args=["keys", "status"])
    assert "3 two-factor secrets are not sealed yet" in status.output
    _set_stored(app, users[2].id, "!!broken!!")
    result = runner.invoke(args=["keys", "rewrap"])
    assert result.exit_code == 1 and "Re-sealed 2 two-factor secrets under k1" in result.output
    assert f"user {users[2].id}" in result.output and "could not be re-sealed" in result.output
    assert all(_stored(app, u.id).startswith("v1:k1:") for u in users[:2])
    assert _sign_in(app, users[0], seeds[0])[0].status_code == 302
    assert "seals 2 two-factor secrets" in runner.invoke(args=["keys", "status"]).output


def test_rotation_reseals_and_retire_waits_for_the_secrets(app, client, make_user):
    user = make_user("viewer")
    seed = _enrol(app, client, user)
    runner = app.test_cli_runner()
    rotated = runner.invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert "Re-sealed 1 two-factor secrets under k2" in rotated.output
    assert _stored(app, user.id).startswith("v1:k2:")
    assert runner.invoke(args=["keys", "retire", "k1", "--yes"]).exit_code == 0
    assert _sign_in(app, user, seed)[0].status_code == 302


def test_an_unfinished_rotation_keeps_old_seeds_working_and_retire_refuses(app, client, make_user):
    from vault.storage import service as storage_service
    user = make_user("viewer")
    seed = _enrol(app, client, user)
    storage_service.rotate_master_key(app.config["MASTER_KEY_FILE"])  # new key, nothing re-sealed yet
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["keys", "retire", "k1", "--yes"])
    assert refused.exit_code == 1 and "1 two-factor secrets are still sealed by k1" in refused.output
    assert "k1" in Keyring.load(app.config["MASTER_KEY_FILE"]).keys
    assert _sign_in(app, user, seed, ahead=0)[0].status_code == 302  # the old key still opens it...
    assert _stored(app, user.id).startswith("v1:k2:")  # ...and a good sign-in moves it to the active key
    assert runner.invoke(args=["keys", "retire", "k1", "--yes"]).exit_code == 0
    assert _sign_in(app, user, seed, ahead=1)[0].status_code == 302


def test_vault_init_seals_legacy_rows_on_upgrade(tmp_path):
    instance = tmp_path / "inst"
    assert run_vault(instance, "init", "--no-input").returncode == 0
    created = run_vault(instance, "users", "create", "old@example.com", "--role", "viewer",
                        env_extra={"VAULT_NEW_USER_PASSWORD": "a long enough passphrase"})
    assert created.returncode == 0, created.stderr
    engine = create_engine(f"sqlite:///{instance / 'vault.db'}")
    with engine.begin() as conn:
        conn.execute(text("update users set totp_secret = :s, totp_enabled = true"), {"s": SEED})
    again = run_vault(instance, "init", "--no-input")
    assert again.returncode == 0, again.stderr
    assert "Sealed 1 two-factor secrets" in again.stdout
    with engine.connect() as conn:
        stored, uid = conn.execute(text("select totp_secret, id from users")).one()
    engine.dispose()
    assert stored.startswith("v1:k1:")
    ring = Keyring.load(instance / "master_keys.json")
    assert totp_secrets.open_secret(ring, uid, stored) == SEED
    assert "Sealed" not in run_vault(instance, "init", "--no-input").stdout  # idempotent


def test_the_sealing_module_is_pure():
    import subprocess
    import sys
    code_ = ("import sys, vault.auth.secrets; bad = [m for m in ('flask', 'sqlalchemy') if m in sys.modules]; "
             "sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code_], timeout=60).returncode == 0
