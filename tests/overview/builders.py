"""Builders for overview tests: items created through the service, as staff would."""
from __future__ import annotations

from vault import db
from vault.overview import service


def add_item(app, key: str, title_en: str = "", title_zh: str = "", text_en: str = "", text_zh: str = "",
             evidence: str = "") -> str:
    with app.app_context():
        sess = db.session()
        item = service.create_item(sess, service.get_section(sess, key),
                                   service.ItemFields(title_en, title_zh, text_en, text_zh, evidence))
        sess.commit()
        return item.uid


def set_facts(app, key: str, facts: dict, title_en: str = "", title_zh: str = "") -> None:
    with app.app_context():
        sess = db.session()
        service.update_section(sess, service.get_section(sess, key), title_en=title_en, title_zh=title_zh, facts=facts)
        sess.commit()


def set_settings(app, summary_en: str = "", summary_zh: str = "", contact: str = "") -> None:
    with app.app_context():
        sess = db.session()
        service.update_settings(sess, summary_en=summary_en, summary_zh=summary_zh, security_contact=contact)
        sess.commit()
