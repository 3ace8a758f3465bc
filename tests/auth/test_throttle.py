"""Sign-in throttling per account and per address (config LOGIN_LIMIT_PER_*), for both steps."""
from tests.auth.conftest import FAST_HASHING
from tests.auth.helpers import code, enable_totp, events, login
from tests.conftest import make_app


def test_per_account_limit_holds_across_addresses(app, client, make_user):
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "5 per 5 minutes"
    user = make_user("viewer")
    for i in range(5):
        assert login(client, user.email, "a wrong password here", ip=f"198.51.100.{i}").status_code == 200
    resp = login(client, user.email, "a wrong password here", ip="198.51.100.99")
    assert resp.status_code == 429
    assert b"Too many sign-in attempts" in resp.data
    # even the right password is refused while the account is throttled ...
    assert login(client, user.email, ip="198.51.100.100").status_code == 429
    assert client.get("/account").status_code == 302
    # ... while another account from the same address is not affected
    other = make_user("viewer")
    assert login(client, other.email, ip="198.51.100.99").status_code == 302
    throttled = events(app, "auth.throttled")
    assert len(throttled) == 2
    assert throttled[0].outcome == "denied" and throttled[0].ip == "198.51.100.99"
    assert throttled[0].detail["per"] == "account" and throttled[0].detail["email"] == user.email


def test_per_address_limit_holds_across_accounts(app, client):
    assert app.config["LOGIN_LIMIT_PER_ADDRESS"] == "20 per 5 minutes"
    for i in range(20):
        assert login(client, f"guess{i}@example.com", "a wrong password here", ip="192.0.2.7").status_code == 200
    resp = login(client, "guess99@example.com", "a wrong password here", ip="192.0.2.7")
    assert resp.status_code == 429 and b"Too many sign-in attempts" in resp.data
    # another address may still try
    assert login(client, "guess99@example.com", "a wrong password here", ip="192.0.2.8").status_code == 200
    (ev,) = events(app, "auth.throttled")
    assert ev.detail["per"] == "address" and ev.ip == "192.0.2.7"


def test_limits_come_from_config(tmp_path):
    app = make_app(tmp_path, LOGIN_LIMIT_PER_ACCOUNT="2 per minute", **FAST_HASHING)
    client = app.test_client()
    for _ in range(2):
        assert login(client, "someone@example.com", "a wrong password here").status_code == 200
    assert login(client, "someone@example.com", "a wrong password here").status_code == 429


def test_successful_sign_ins_do_not_count(client, make_user):
    user = make_user("viewer")
    for _ in range(7):
        assert login(client, user.email).status_code == 302
        client.post("/logout")


def test_throttled_json_client_gets_json(client, make_user):
    user = make_user("viewer")
    for _ in range(5):
        login(client, user.email, "a wrong password here")
    resp = client.post("/login", data={"email": user.email, "password": "x" * 12},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 429 and "Too many sign-in attempts" in resp.get_json()["error"]


def test_code_step_is_throttled_per_account(app, client, make_user):
    user = make_user("admin")
    secret = enable_totp(app, user.id)
    assert login(client, user.email).location == "/login/code"
    for _ in range(5):
        resp = client.post("/login/code", data={"code": "000000"})
        assert resp.status_code == 200 and b"not valid" in resp.data
    resp = client.post("/login/code", data={"code": code(secret)})
    assert resp.status_code == 429
    assert client.get("/account").status_code == 302
    (ev,) = events(app, "auth.throttled")
    assert ev.detail["step"] == "code" and ev.detail["email"] == user.email
