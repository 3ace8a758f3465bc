"""The demo's advisories: one published (CVSS, CVE, timeline), one draft, one announcement; once only."""
from datetime import date

from vault import db
from vault.advisories import service
from vault.advisories.demo import load_demo_advisories


def test_demo_advisories_once(app, client):
    with app.app_context():
        sess = db.session()
        assert load_demo_advisories(sess, date.today()) == 3
        sess.commit()
        assert load_demo_advisories(sess, date.today()) == 0
        rows = service.all_advisories(sess)
        assert sorted(a.state for a in rows) == ["draft", "published"]
        published = next(a for a in rows if a.published)
        assert published.cve_ids == ["CVE-2026-31337"] and published.severity == "high" and len(published.timeline) == 4
        published_id = published.advisory_id
    page = client.get("/trust/advisories").get_data(as_text=True)
    assert published_id in page and "New PGP key" in page and "Session cookie" not in page
