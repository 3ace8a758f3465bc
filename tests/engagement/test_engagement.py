"""Engagement: counting visits (cookie flags, DNT/GPC, bots, HEAD), company attribution after an access
request, the funnel against a built scenario, the CSV export, staff authorisation and the purge."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask_login import FlaskLoginClient
from sqlalchemy import select

from tests.access.builders import (access_link, accept_nda, approve, confirm_link, request_uid, seed,
                                   submit_request, trust_app)

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
COOKIE = "tv_visitor"


@pytest.fixture
def app(tmp_path, smtp_sink):
    app = trust_app(tmp_path, smtp_sink)
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture
def seeded(app, tmp_path):
    return seed(app, tmp_path)


def browser_client(app, **headers):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = headers.pop("ua", BROWSER)
    for name, value in headers.items():
        client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
    return client


def visits(app):
    from vault import db
    from vault.engagement.models import PageVisit
    with app.app_context():
        return list(db.session().scalars(select(PageVisit).order_by(PageVisit.id)))


def links(app):
    from vault import db
    from vault.engagement.models import VisitorCompany
    with app.app_context():
        return list(db.session().scalars(select(VisitorCompany)))


def set_cookies(response) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]


def staff(app, make_user, role):
    app.test_client_class = FlaskLoginClient
    return app.test_client(user=make_user(role))


# --- what is counted, and the cookie ------------------------------------------------------------

def test_a_visit_sets_a_first_party_cookie_with_safe_flags_and_stores_only_its_hash(app, seeded):
    client = browser_client(app)
    r = client.get("/trust/")
    assert r.status_code == 200
    [cookie] = set_cookies(r)
    value = cookie.split(";")[0].split("=", 1)[1]
    flags = [f.strip().lower() for f in cookie.split(";")[1:]]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert f"max-age={180 * 86400}" in flags
    assert "secure" not in flags  # plain http here; see the https test below
    assert len(value) >= 43
    client.get("/trust/subprocessors")
    assert set_cookies(client.get("/trust/subprocessors")) == []  # set once, not extended on every page
    rows = visits(app)
    assert [v.page for v in rows] == ["front", "subprocessors", "subprocessors"]
    assert {v.visitor for v in rows} == {hashlib.sha256(value.encode()).hexdigest()}
    assert all(value not in (v.visitor, v.endpoint, v.document_uid) for v in rows)


def test_the_cookie_is_secure_over_https(app, seeded):
    client = browser_client(app)
    r = client.get("/trust/", base_url="https://vault.test")
    [cookie] = set_cookies(r)
    assert "secure" in [f.strip().lower() for f in cookie.split(";")]


@pytest.mark.parametrize("header", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_dnt_and_gpc_count_anonymously_without_cookie_or_visitor(app, seeded, smtp_sink, header):
    client = browser_client(app, **header)
    r = client.get("/trust/")
    assert r.status_code == 200 and set_cookies(r) == []
    assert client.get("/trust/request").status_code == 200
    # an access request from that browser links no visitor to the company
    assert submit_request(client, documents=[seeded.soc2]).status_code == 200
    rows = visits(app)
    assert [v.page for v in rows] == ["front", "request"]
    assert all(v.visitor == "" for v in rows)
    assert links(app) == []


def test_gpc_removes_a_cookie_set_before(app, seeded):
    client = browser_client(app)
    client.get("/trust/")
    r = client.get("/trust/", headers={"Sec-GPC": "1"})
    [cookie] = set_cookies(r)
    assert "max-age=0" in cookie.lower() or "expires=thu, 01 jan 1970" in cookie.lower()
    assert [bool(v.visitor) for v in visits(app)] == [True, False]


@pytest.mark.parametrize("ua", ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                                "curl/8.5.0", "python-requests/2.32", "",
                                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0 Safari/537.36"])
def test_bots_are_not_counted(app, seeded, ua):
    client = browser_client(app, ua=ua)
    r = client.get("/trust/")
    assert r.status_code == 200 and set_cookies(r) == []
    assert visits(app) == []


def test_head_json_logo_errors_and_staff_pages_are_not_counted(app, seeded, make_user):
    client = browser_client(app)
    assert client.head("/trust/").status_code == 200
    client.get("/trust/subprocessors.json")
    client.get("/trust/logo")  # 404 without a logo
    client.get("/trust/access/" + "x" * 43)  # unknown personal link: 404
    client.get("/status/")
    assert visits(app) == []
    signed_in = staff(app, make_user, "admin")  # staff previewing the trust center
    signed_in.environ_base["HTTP_USER_AGENT"] = BROWSER
    signed_in.get("/trust/")
    assert visits(app) == []


def test_personal_link_visits_store_no_token(app, seeded, smtp_sink, make_user):
    client = browser_client(app)
    submit_request(client, documents=[seeded.soc2])
    client.post(confirm_link(smtp_sink, "alice@buyer.example"))
    accept_nda(client, seeded.nda_version)
    approve(app, staff(app, make_user, "legal"), request_uid(app, "alice@buyer.example"), [seeded.soc2])
    link = access_link(smtp_sink, "alice@buyer.example")
    token = link.rsplit("/", 1)[1]
    assert client.get(link).status_code == 200
    [row] = [v for v in visits(app) if v.page == "access"]
    assert row.endpoint == "access.grant_page"
    assert all(token not in (v.endpoint + v.document_uid + v.visitor) for v in visits(app))


# --- attribution and the funnel -----------------------------------------------------------------

def test_a_visitor_counts_for_the_company_of_their_access_request(app, seeded, smtp_sink):
    from vault import db
    from vault.db import utcnow
    from vault.engagement import service

    client = browser_client(app)
    client.get("/trust/")
    client.get(f"/trust/documents/{seeded.whitepaper}/download")
    assert submit_request(client, documents=[seeded.soc2], company="Buyer Ltd").status_code == 200
    [link] = links(app)
    assert (link.domain, link.company) == ("buyer.example", "Buyer Ltd")
    client.get("/trust/subprocessors")  # a later visit
    other = browser_client(app)
    other.get("/trust/")  # somebody else, never linked
    with app.app_context():
        period = service.Period.last(7, utcnow() + timedelta(minutes=1))
        [row] = service.company_rows(db.session(), period)
        assert (row.domain, row.company, row.visits, row.visitors, row.documents_viewed, row.requests) == (
            "buyer.example", "Buyer Ltd", 3, 1, 1, 1)
        assert service.totals(db.session(), period).attributed == 3
        [visitor] = service.visitor_rows(db.session(), period, "buyer.example")
        assert visitor.company == "Buyer Ltd" and visitor.visits == 3


def test_funnel_numbers_for_a_built_scenario(app, seeded, smtp_sink, make_user):
    """Three cookie visitors and two anonymous visits; three requests: one approved and downloaded, one
    with the NDA accepted waiting for review, one never confirmed."""
    from vault import db
    from vault.db import utcnow
    from vault.engagement import service

    legal = staff(app, make_user, "legal")
    alice = browser_client(app)
    alice.get("/trust/")
    alice.get("/trust/")
    submit_request(alice, documents=[seeded.soc2], email="alice@buyer.example", company="Buyer Ltd")
    alice.post(confirm_link(smtp_sink, "alice@buyer.example"))
    accept_nda(alice, seeded.nda_version)
    approve(app, legal, request_uid(app, "alice@buyer.example"), [seeded.soc2])
    page = alice.get(access_link(smtp_sink, "alice@buyer.example"))
    download = [line for line in page.data.decode().split('"') if "/trust/access/" in line and "/documents/" in line][0]
    assert alice.get(download.replace("&amp;", "&")).status_code == 200

    bob = browser_client(app)
    bob.get("/trust/")
    submit_request(bob, documents=[seeded.pentest], email="bob@other.example", company="Other Corp")
    bob.post(confirm_link(smtp_sink, "bob@other.example"))
    accept_nda(bob, seeded.nda_version, full_name="Bob Other")

    carol = browser_client(app)
    carol.get("/trust/request")
    submit_request(carol, documents=[seeded.soc2], email="carol@third.example", company="Third plc")

    for _ in range(2):
        browser_client(app, DNT="1").get("/trust/")

    with app.app_context():
        sess = db.session()
        period = service.Period.last(30, utcnow() + timedelta(minutes=1))
        f = service.funnel(sess, period)
        assert f.stages() == [("visitors", 5), ("requests", 3), ("nda", 2), ("approved", 1), ("downloaded", 1)]
        assert service.funnel(sess, period, "buyer.example").stages() == [
            ("visitors", 1), ("requests", 1), ("nda", 1), ("approved", 1), ("downloaded", 1)]
        assert service.funnel(sess, period, "other.example").stages() == [
            ("visitors", 1), ("requests", 1), ("nda", 1), ("approved", 0), ("downloaded", 0)]
        rows = {r.domain: r for r in service.company_rows(sess, period)}
        assert (rows["buyer.example"].downloads, rows["buyer.example"].approved,
                rows["buyer.example"].nda_acceptances) == (1, 1, 1)
        assert rows["buyer.example"].approval_hours is not None and rows["buyer.example"].approval_hours < 1
        assert (rows["third.example"].requests, rows["third.example"].nda_acceptances) == (1, 0)
        weeks = service.weekly(sess, period)
        assert sum(w.requests for w in weeks) == 3 and sum(w.downloads for w in weeks) == 1
        assert sum(w.visits for w in weeks) == service.totals(sess, period).visits


# --- the dashboard, export and authorisation ----------------------------------------------------

@pytest.mark.parametrize("role", ["viewer", "security"])
def test_roles_without_the_permission_get_403(app, seeded, make_user, role):
    client = staff(app, make_user, role)
    assert client.get("/admin/engagement/").status_code == 403
    assert client.get("/admin/engagement/export.csv").status_code == 403


def test_signed_out_is_sent_to_sign_in(app, seeded):
    r = app.test_client().get("/admin/engagement/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


@pytest.mark.parametrize("role", ["admin", "sales", "legal"])
def test_dashboard_shows_the_charts_in_both_languages(app, seeded, make_user, role):
    browser_client(app).get("/trust/")
    client = staff(app, make_user, role)
    r = client.get("/admin/engagement/?period=30")
    html = r.data.decode()
    assert r.status_code == 200 and html.count("<svg") >= 2 and "<script" not in html
    assert "Visitors" in html and "Per week" in html
    r = client.get("/admin/engagement/?period=30&lang=zh")
    assert "访客" in r.data.decode()


def test_an_unknown_filter_value_is_reported_and_the_default_used(app, seeded, make_user):
    client = staff(app, make_user, "sales")
    r = client.get("/admin/engagement/?period=7&company=nobody.example")
    assert r.status_code == 200
    html = r.data.decode()
    assert html.count('class="errors"') == 2
    assert '<option selected value="90">' in html


def test_csv_export_neutralises_formulas_in_company_names(app, seeded, smtp_sink, make_user):
    client = browser_client(app)
    client.get("/trust/")
    assert submit_request(client, documents=[seeded.soc2], company="=cmd|' /C calc'!A0").status_code == 200
    r = staff(app, make_user, "sales").get("/admin/engagement/export.csv?period=30")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    body = r.data.decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in body
    assert "\n=cmd" not in body and ",=cmd" not in body
    line = [row for row in body.splitlines() if "buyer.example" in row][0]
    assert ",1,1," in line  # one visit, one visitor


# --- retention ----------------------------------------------------------------------------------

def test_purge_deletes_old_visits_and_orphaned_links(app, runner=None):
    from vault import db
    from vault.db import utcnow
    from vault.engagement.models import PageVisit, VisitorCompany

    now = utcnow()
    with app.app_context():
        sess = db.session()
        sess.add_all([PageVisit(visited_at=now - timedelta(days=401), visitor="a" * 64, page="front"),
                      PageVisit(visited_at=now - timedelta(days=399), visitor="b" * 64, page="front"),
                      PageVisit(visited_at=now - timedelta(days=500), visitor="", page="front"),
                      VisitorCompany(visitor="a" * 64, domain="old.example", linked_at=now - timedelta(days=450)),
                      VisitorCompany(visitor="b" * 64, domain="kept.example", linked_at=now - timedelta(days=450))])
        sess.commit()
    result = app.test_cli_runner().invoke(args=["engagement", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 visits" in result.output and "1 company links" in result.output
    assert [v.visitor for v in visits(app)] == ["b" * 64]
    assert [link.domain for link in links(app)] == ["kept.example"]
    result = app.test_cli_runner().invoke(args=["engagement", "purge", "--days", "30"])
    assert "Deleted 1 visits" in result.output
    assert visits(app) == []


def test_demo_is_consistent_with_the_access_records(app, seeded):
    from vault import db
    from vault.db import utcnow
    from vault.engagement import service
    from vault.engagement.demo import load_demo_engagement

    with app.app_context():
        sess = db.session()
        added = load_demo_engagement(sess, utcnow().date())
        sess.commit()
        assert added > 200 and load_demo_engagement(sess, utcnow().date()) == 0
        rows = {r.domain: r for r in service.company_rows(sess, service.Period.last(90, utcnow()))}
        assert {"northwind.example", "contoso-bank.example", "fabrikam.example", "globex.example"} <= set(rows)
        assert rows["northwind.example"].downloads == 4 and rows["northwind.example"].approved == 1
        assert rows["globex.example"].nda_acceptances == 0
        f = service.funnel(sess, service.Period.last(90, utcnow()))
        assert (f.requests, f.nda, f.approved, f.downloaded) == (4, 3, 2, 2)


def test_a_publicly_cacheable_page_never_sets_the_cookie(tmp_path, smtp_sink):
    """A shared cache could hand a Set-Cookie to the next visitor: such a page counts anonymously."""
    app = trust_app(tmp_path, smtp_sink)

    def cached():
        from flask import make_response
        resp = make_response("<p>cached</p>")
        resp.cache_control.public, resp.cache_control.max_age = True, 300
        return resp

    app.add_url_rule("/trust/cached-example", "cached_example", cached)
    r = browser_client(app).get("/trust/cached-example")
    assert r.status_code == 200 and set_cookies(r) == []
    assert [(v.page, v.visitor) for v in visits(app)] == [("other", "")]
    app.extensions["vault.engine"].dispose()
