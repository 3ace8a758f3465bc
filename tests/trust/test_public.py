

def test_the_trust_center_says_honestly_what_is_broken(app, client):
    from status import service as status_service
    from vault import db
    from vault.db import utcnow

    assert b"Service status" not in client.get("/trust/").data  # no components yet: nothing to claim
    with app.app_context():
        sess = db.session()
        api = status_service.create_component(sess, key="api", name_en="API", now=utcnow())
        sess.flush()
        status_service.set_state(sess, api, "major_outage", now=utcnow(), source="test")
        sess.commit()
    page = client.get("/trust/").data.decode()
    assert "Service status" in page and 'href="/status/"' in page
    assert "All systems operational" not in page
