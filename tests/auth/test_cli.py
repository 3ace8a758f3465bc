"""`vault users ...`."""
from tests.auth.helpers import events, login, reload_user
from tests.conftest import TEST_PASSWORD


def test_create_list_disable_enable(app, runner, client):
    result = runner.invoke(args=["users", "create", "Ops@Example.com", "--role", "security", "--name", "Ops",
                                 "--password", TEST_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created security account ops@example.com." in result.output
    (ev,) = events(app, "user.create")
    assert ev.actor.startswith("cli:") and ev.detail == {"email": "ops@example.com", "role": "security"}

    listing = runner.invoke(args=["users", "list"]).output
    assert "ops@example.com" in listing and "security" in listing and "active" in listing

    assert login(client, "ops@example.com").status_code == 302
    result = runner.invoke(args=["users", "disable", "ops@example.com"])
    assert result.exit_code == 0 and "Disabled ops@example.com" in result.output
    assert client.get("/account").status_code == 302  # the open session died
    assert "disabled" in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "enable", "ops@example.com"]).exit_code == 0
    assert login(client, "ops@example.com").status_code == 302
    assert [e.action for e in events(app) if e.action.startswith("user.")] == [
        "user.create", "user.disable", "user.enable"]


def test_create_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["users", "create", "p@example.com", "--role", "viewer"],
                           input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert TEST_PASSWORD not in result.output


def test_bad_input_gives_clear_errors_and_stores_nothing(app, runner):
    cases = [
        (["x@example.com", "--role", "viewer", "--password", "short"], "at least 12 characters"),
        (["not-an-email", "--role", "viewer", "--password", TEST_PASSWORD], "not a valid email"),
        (["x@example.com", "--role", "boss", "--password", TEST_PASSWORD], "Invalid value for '--role'"),
        (["x@example.com", "--role", "viewer", "--password", "x@example.com"], "must not be your email"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["users", "create", *args])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert "No accounts yet." in runner.invoke(args=["users", "list"]).output
    runner.invoke(args=["users", "create", "x@example.com", "--role", "viewer", "--password", TEST_PASSWORD])
    dup = runner.invoke(args=["users", "create", "X@example.com", "--role", "viewer", "--password", TEST_PASSWORD])
    assert dup.exit_code == 1 and "already exists" in dup.output
    missing = runner.invoke(args=["users", "disable", "ghost@example.com"])
    assert missing.exit_code == 1 and "No account with the email ghost@example.com" in missing.output


def test_last_admin_cannot_be_disabled_or_demoted(app, runner, make_user):
    make_user("admin", email="only@example.com")
    result = runner.invoke(args=["users", "disable", "only@example.com"])
    assert result.exit_code == 1 and "last active admin" in result.output
    result = runner.invoke(args=["users", "set-role", "only@example.com", "viewer"])
    assert result.exit_code == 1 and "last active admin" in result.output
    make_user("admin", email="second@example.com")
    assert runner.invoke(args=["users", "set-role", "only@example.com", "viewer"]).exit_code == 0


def test_recovery_commands(app, runner, make_user):
    from tests.auth.helpers import enable_totp
    user = make_user("admin")
    enable_totp(app, user.id)
    assert runner.invoke(args=["users", "reset-2fa", user.email]).exit_code == 0
    assert reload_user(app, user.id).totp_enabled is False
    result = runner.invoke(args=["users", "set-password", user.email, "--password", "another good password"])
    assert result.exit_code == 0, result.output
    assert reload_user(app, user.id).session_token != user.session_token
