"""SSRF: what the webhook guard refuses, that it pins the resolved address, and that redirects are
never followed. Refusals happen before any connection: no traffic leaves loopback."""
import dataclasses

import pytest

from tests.notify.conftest import T0
from tests.notify.receiver import Receiver
from vault import db, notify
from vault.notify.ssrf import Guard, TargetRefused

REFUSED = [
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://127.0.0.1/hook", "loopback"),
    ("http://127.8.9.10:8080/hook", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://[::ffff:7f00:1]/hook", "loopback"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://10.0.0.1/hook", "private"),
    ("http://192.168.1.1/hook", "private"),
    ("http://172.16.0.1/hook", "private"),
    ("http://172.31.255.255/hook", "private"),
    ("http://100.64.0.1/hook", "private or reserved"),  # carrier-grade NAT
    ("http://0.0.0.0/hook", "unspecified"),
    ("http://0/hook", "unspecified"),
    ("http://[::]/hook", "unspecified"),
    ("http://2130706433/hook", "loopback"),  # decimal 127.0.0.1
    ("http://0x7f000001/hook", "loopback"),  # hex
    ("http://017700000001/hook", "loopback"),  # octal
    ("http://0177.0.0.1/hook", "loopback"),
    ("http://127.1/hook", "loopback"),
    ("http://0xa9.0xfe.0xa9.0xfe/", "link-local"),  # 169.254.169.254 in hex parts
    ("http://[2002:7f00:1::]/hook", "embeds 127.0.0.1"),  # 6to4
    ("http://[2002:a9fe:a9fe::]/hook", "embeds 169.254.169.254"),
    ("http://[64:ff9b::a00:1]/hook", "embeds 10.0.0.1"),  # NAT64
    ("http://[::127.0.0.1]/hook", "embeds 127.0.0.1"),  # IPv4-compatible
    ("http://[fe80::1]/hook", "link-local"),
    ("http://[fd00:ec2::254]/", "metadata"),  # AWS metadata over IPv6
    ("http://[fc00::1]/hook", "private"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://[ff02::1]/hook", "multicast"),
    ("http://255.255.255.255/hook", "reserved"),
    ("http://240.0.0.1/hook", "reserved"),
    ("http://localhost/hook", "loopback"),  # a name resolving to 127.0.0.1
    ("http://localhost./hook", "loopback"),
    ("ftp://example.com/file", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("gopher://example.com/", "only http and https"),
    ("javascript:alert(1)", "only http and https"),
    ("//example.com/hook", "only http and https"),
    ("http://user:pass@example.com/hook", "passwords"),
    ("http://example.com:0/hook", "port 0"),
    ("http://exa mple.com/hook", "spaces"),
    ("http://example.com/\r\nX: y", "control characters"),
    ("http://[fe80::1%25eth0]/hook", "scoped"),
    ("http://1.2.3.999/hook", "not a valid address"),
    ("http:///hook", "no host"),
]


@pytest.mark.parametrize("url,reason", REFUSED)
def test_refused_by_default(url, reason):
    with pytest.raises(TargetRefused, match=reason):
        Guard().pin(url)


ALWAYS_REFUSED = [u for u, r in REFUSED if r in (
    "link-local", "unspecified", "multicast", "reserved", "metadata", "embeds 169.254.169.254", "only http and https",
    "passwords", "port 0", "spaces", "control characters", "scoped", "not a valid address", "no host")] + [
    "http://100.100.100.200/latest/meta-data/", "http://[64:ff9b::a00:1]/", "http://[::127.0.0.1]/"]


@pytest.mark.parametrize("url", ALWAYS_REFUSED)
def test_admin_switch_never_opens_metadata_multicast_or_unspecified(url):
    with pytest.raises(TargetRefused):
        Guard(allow_private=True).pin(url)


@pytest.mark.parametrize("url,address", [
    ("http://127.0.0.1:8080/x", "127.0.0.1"), ("http://10.1.2.3/x", "10.1.2.3"), ("http://[::1]/x", "::1"),
    ("http://[::ffff:127.0.0.1]/x", "127.0.0.1"), ("http://192.168.0.10/x", "192.168.0.10"),
    ("http://localhost/x", "127.0.0.1"),
])
def test_admin_switch_opens_private_ranges(url, address):
    assert Guard(allow_private=True).pin(url).address == address


def test_public_address_and_names_are_pinned_without_connecting():
    target = Guard().pin("https://93.184.215.14/hook?x=1")
    assert (target.scheme, target.address, target.port, target.request_target) == (
        "https", "93.184.215.14", 443, "/hook?x=1")
    fake = {"hooks.example.com": ["93.184.215.14"], "xn--bcher-kva.example": ["93.184.215.15"]}
    guard = Guard(resolver=lambda host, port: fake[host])
    pinned = guard.pin("https://Hooks.Example.com:8443/a")
    assert (pinned.host, pinned.address, pinned.host_header) == ("hooks.example.com", "93.184.215.14",
                                                                 "hooks.example.com:8443")
    assert guard.pin("http://bücher.example/").host == "xn--bcher-kva.example"


def test_name_with_one_private_address_among_public_ones_is_refused():
    guard = Guard(resolver=lambda host, port: ["93.184.215.14", "10.0.0.1"])
    with pytest.raises(TargetRefused, match="10.0.0.1"):
        guard.pin("https://mixed.example.com/")


def test_unresolvable_name_is_refused():
    def fail(host, port):
        raise OSError("Name or service not known")
    with pytest.raises(TargetRefused, match="could not be resolved"):
        Guard(resolver=fail).pin("https://nowhere.invalid/")


def _deliver(app, settings, **send_kw):
    with app.app_context():
        sess = db.session()
        row = notify.send(sess, **send_kw)
        sess.commit()
        report = notify.deliver_pending(sess, now=T0, settings=settings)
        sess.refresh(row)
        return row, report


def test_refused_url_is_dead_at_once_and_never_contacted(app, settings_of, receiver):
    # The switch is off: the loopback receiver is refused before any connection.
    settings = settings_of(app, allow_private=False)
    row, report = _deliver(app, settings, channel="slack", target=receiver.url("/hook"),
                           message=notify.Message(subject="s", text="t"))
    assert report.failed == 1 and row.status == "dead" and "loopback" in row.last_error
    assert receiver.requests == []


def test_redirect_is_never_followed(app, settings_of, receiver):
    inner = Receiver("127.0.0.2").start()  # a second, private target the redirect points at
    try:
        receiver.answer("/hook", 302, "", Location=inner.url("/internal"))
        # Test seam: only the first hop's exact address is allowed; the switch stays off.
        settings = settings_of(app, allow_private=False, allow_addresses=frozenset({"127.0.0.1"}))
        row, report = _deliver(app, settings, channel="slack", target=receiver.url("/hook"),
                               message=notify.Message(subject="s", text="t"))
        assert len(receiver.on("/hook")) == 1
        assert inner.requests == []
        assert row.status == "dead" and "redirects are never followed" in row.last_error
        with pytest.raises(TargetRefused, match="loopback"):
            Guard(allow_addresses=frozenset({"127.0.0.1"})).pin(inner.url("/internal"))
    finally:
        inner.stop()


def test_resolved_address_is_pinned_against_rebinding(app, settings_of, receiver):
    calls = []

    def rebinding_dns(host, port):
        calls.append(host)
        # First answer passes the check; any later lookup would point at the internal network.
        return ["127.0.0.1"] if len(calls) == 1 else ["10.0.0.1"]

    settings = settings_of(app, allow_private=False, allow_addresses=frozenset({"127.0.0.1"}),
                           resolver=rebinding_dns)
    url = f"http://hooks.example.test:{receiver.port}/hook"
    row, report = _deliver(app, settings, channel="slack", target=url, message=notify.Message(subject="s", text="t"))
    assert report.sent == 1 and row.status == "sent"
    assert calls == ["hooks.example.test"]  # resolved once, connected to that address
    assert receiver.on("/hook")[0].headers["host"] == f"hooks.example.test:{receiver.port}"


def test_oversized_answer_is_a_failure(app, settings_of, receiver):
    receiver.answer("/big", 200, b"x" * (200 * 1024))
    row, report = _deliver(app, settings_of(app), channel="slack", target=receiver.url("/big"),
                           message=notify.Message(subject="s", text="t"))
    assert row.status == "retry" and "larger than" in row.last_error


def test_check_target_refuses_for_forms(app, settings_of):
    settings = settings_of(app, allow_private=False)
    with pytest.raises(notify.NotifyError, match="link-local"):
        notify.check_target("slack", "http://169.254.169.254/", settings)
    with pytest.raises(notify.NotifyError, match="loopback"):
        notify.check_target("webhook", "http://[::ffff:127.0.0.1]/", settings)
    notify.check_target("slack", "https://93.184.215.14/services/x", settings)
    notify.check_target("email", "a@example.com", settings)
    with pytest.raises(notify.NotifyError):
        notify.check_target("email", "nope", settings)


def test_settings_replace_keeps_guard_in_sync(app, settings_of):
    s = settings_of(app, allow_private=False)
    assert dataclasses.replace(s, allow_private=True).guard().allow_private is True
