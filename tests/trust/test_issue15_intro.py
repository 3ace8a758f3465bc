"""Issue #15 item 7: the trust-center intro is never empty, and the settings show the effective name."""
from __future__ import annotations


def test_intro_has_a_default_summary_and_the_configured_one_when_set(app, seeded):
    for lang, text in (("en", "How Example Cloud Ltd. protects your data"), ("zh", "如何保护您的数据")):
        html = app.test_client().get(f"/trust/?lang={lang}").get_data(as_text=True)
        intro = html.split('class="trust-intro"')[1].split("</section>")[0]
        assert text in intro and 'class="intro-summary"' in intro, lang
    from vault import db
    from vault.trust.service import get_profile
    with app.app_context():
        get_profile(db.session()).summary_en = "We run Example Cloud on ISO-certified infrastructure."
        db.session().commit()
    html = app.test_client().get("/trust/").get_data(as_text=True)
    assert "We run Example Cloud on ISO-certified infrastructure." in html and "How Example Cloud" not in html


def test_settings_show_the_effective_company_name(app, seeded, client_as):
    admin = client_as("admin")
    html = admin.get("/admin/trust").get_data(as_text=True)
    assert 'placeholder="Example Cloud Ltd."' in html and "the trust center shows “Example Cloud Ltd.”" in html
    zh = admin.get("/admin/trust?lang=zh").get_data(as_text=True)
    assert "信任中心显示“Example Cloud Ltd.”" in zh
