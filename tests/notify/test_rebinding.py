"""DNS rebinding between the form and the delivery (issue #18 item 6): the address is judged and pinned
when the message is delivered, not when the URL was typed in; a name that was public at subscription
time and points inside later is refused then, and nothing is sent."""
from tests.notify.test_ssrf import _deliver
from vault import notify


def test_name_public_at_subscription_private_at_delivery_is_refused(app, settings_of, receiver):
    answers = {"now": ["93.184.215.14"]}  # public when the subscriber types the URL in

    def dns(host, port):
        return answers["now"]

    url = f"http://hooks.example.test:{receiver.port}/hook"
    notify.check_target("slack", url, settings_of(app, allow_private=False, resolver=dns))  # the form accepts it
    answers["now"] = ["127.0.0.1"]  # the attacker's DNS now points at the vault's own host
    row, report = _deliver(app, settings_of(app, allow_private=False, resolver=dns), channel="slack", target=url,
                           message=notify.Message(subject="s", text="t"))
    assert report.failed == 1 and row.status == "dead" and "loopback" in row.last_error
    assert receiver.requests == []


def test_the_connection_goes_to_the_address_judged_at_delivery(app, settings_of, receiver):
    lookups = []

    def dns(host, port):
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["169.254.169.254"]  # a second lookup would be metadata

    settings = settings_of(app, allow_private=False, allow_addresses=frozenset({"127.0.0.1"}), resolver=dns)
    for _ in range(2):  # two deliveries: each resolves once and connects to what it judged
        row, report = _deliver(app, settings, channel="slack", target=f"http://a.example.test:{receiver.port}/hook",
                               message=notify.Message(subject="s", text="t"))
        assert report.sent == 1 and row.status == "sent"
        lookups[:] = []
    assert len(receiver.on("/hook")) == 2
