"""`vault init` through the real console script: files, permissions, idempotence, first admin."""
import os
import stat
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

VAULT = str(Path(sys.executable).parent / "vault")


def run_vault(instance: Path, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env["VAULT_INSTANCE_PATH"] = str(instance)
    env.update(env_extra or {})
    return subprocess.run([VAULT, *args], env=env, capture_output=True, text=True, timeout=120)


def test_init_creates_private_keys_database_and_admin_once(tmp_path):
    instance = tmp_path / "inst"
    first = run_vault(instance, "init", "--no-input", "--admin-email", "Admin@Example.com",
                      env_extra={"VAULT_ADMIN_PASSWORD": "a long enough passphrase"})
    assert first.returncode == 0, first.stderr
    for name in ("secret_key", "master_keys.json"):
        mode = stat.S_IMODE((instance / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {oct(mode)}"
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    secret = (instance / "secret_key").read_text()
    keys = (instance / "master_keys.json").read_text()

    # The watermark font pre-cut is ready after init (in the instance's cache), so the first burst of
    # downloads for new Chinese names does not build it; the second init reuses it.
    assert "Pre-cut of" in first.stdout and list((instance / "cache" / "fonts").glob("*.tvfont"))
    assert "Matching index: 0 library entries." in first.stdout

    second = run_vault(instance, "init", "--no-input")
    assert second.returncode == 0, second.stderr
    assert (instance / "secret_key").read_text() == secret
    assert (instance / "master_keys.json").read_text() == keys

    engine = create_engine(f"sqlite:///{instance / 'vault.db'}")
    with engine.connect() as conn:
        admins = conn.execute(text("select email, role from users")).all()
        head = conn.execute(text("select version_num from alembic_version")).scalar()
    assert admins == [("admin@example.com", "admin")]
    assert head


def test_init_without_password_in_script_mode_fails_clearly(tmp_path):
    result = run_vault(tmp_path / "inst", "init", "--no-input", "--admin-email", "a@example.com")
    assert result.returncode != 0
    assert "--admin-password" in result.stderr


def test_demo_fills_a_living_vault_once(tmp_path):
    instance = tmp_path / "inst"
    assert run_vault(instance, "init", "--no-input").returncode == 0
    first = run_vault(instance, "demo")
    assert first.returncode == 0, first.stderr
    assert "9 new documents" in first.stdout and "23 library entries" in first.stdout
    second = run_vault(instance, "demo")
    assert "0 new documents, 0 library entries, 0 status components" in second.stdout
    engine = create_engine(f"sqlite:///{instance / 'vault.db'}")
    with engine.connect() as conn:
        zh = conn.execute(text("select count(*) from library_entries where language = 'zh'")).scalar()
        incidents = conn.execute(text("select count(*) from status_incidents")).scalar()
        public = conn.execute(text("select count(*) from library_entries where public")).scalar()
    assert zh == 5 and incidents == 1 and public == 15  # the trust center FAQ shows the public ones
