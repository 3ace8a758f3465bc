"""The SVG geometry of the dashboard's charts (plain numbers, no app)."""
import pytest

from vault.engagement import charts, service


def test_funnel_bars_are_proportional_and_share_the_first_stage():
    chart = charts.funnel_chart([("Visitors", 200), ("Requests", 50), ("NDA", 0)])
    assert [b.width for b in chart.bars] == [400, 100, 0.0]
    assert [b.share for b in chart.bars] == ["100%", "25%", "0%"]
    assert chart.height == 3 * charts.FUNNEL_ROW
    assert charts.funnel_chart([("Visitors", 0)]).bars[0].width == 0.0  # nothing to divide by


def test_trend_keeps_points_inside_and_labels_few_weeks():
    labels = [f"W{i}" for i in range(14)]
    chart = charts.trend_chart(labels, [("Visits", [i * 7 for i in range(14)]), ("Requests", [0] * 14)])
    for s in chart.series:
        for x, y, _ in s.dots:
            assert chart.left <= x <= chart.width and 0 <= y <= chart.bottom
    assert len(chart.ticks) <= 7
    assert chart.ticks[0][2] == "start" and chart.gridlines[-1][1] == 100  # 91 -> a round top


@pytest.mark.parametrize("ua, bot", [("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1", False),
                                     ("Mozilla/5.0 (compatible; bingbot/2.0)", True), ("Slackbot-LinkExpanding", True),
                                     ("Go-http-client/1.1", True), (None, True)])
def test_bot_user_agents(ua, bot):
    assert service.is_bot(ua) is bot


@pytest.mark.parametrize("endpoint, args, kind, doc", [
    ("trust.index", {}, "front", ""), ("trust.public_download", {"uid": "d1"}, "download", "d1"),
    ("access.download", {"token": "t", "document_uid": "d2", "version_uid": "v"}, "download", "d2"),
    ("access.grant_page", {"token": "secret"}, "access", ""), ("trust.subprocessor_unsubscribe", {"uid": "s"},
                                                              "subprocessors", ""),
    ("trust.logo", {}, None, None), ("trust.subprocessors_json", {}, None, None)])
def test_page_kinds_never_take_a_token(endpoint, args, kind, doc):
    page = service.classify(endpoint, args)
    assert (page.kind, page.document_uid) == (kind, doc) if kind else page is None


def test_opt_out_headers_and_cookie_values():
    assert service.opted_out("1", None) and service.opted_out(None, "1") and not service.opted_out("0", "")
    assert service.visitor_key("short") == "" and service.visitor_key("x" * 43 + "<") == ""
    assert len(service.visitor_key(service.new_cookie_value())) == 64
