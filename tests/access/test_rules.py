"""The approval rules and tokens: pure, table-driven, no app."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from vault import tokens
from vault.access import rules

POLICY = {"blocked": ["rival.example"], "free_mail": ["gmail.com", "qq.com"], "allowed": ["customer.example"]}


@pytest.mark.parametrize("domain,active,outcome,rule", [
    ("rival.example", False, rules.Outcome.DENY, "blocked_domain"),
    ("eu.rival.example", True, rules.Outcome.DENY, "blocked_domain"),
    ("gmail.com", False, rules.Outcome.DENY, "free_mail"),
    ("mail.qq.com", True, rules.Outcome.DENY, "free_mail"),
    ("customer.example", False, rules.Outcome.AUTO_APPROVE, "allow_listed"),
    ("cn.customer.example", False, rules.Outcome.AUTO_APPROVE, "allow_listed"),
    ("notcustomer.example", False, rules.Outcome.MANUAL, "review"),
    ("buyer.example", True, rules.Outcome.AUTO_APPROVE, "existing_grant"),
    ("buyer.example", False, rules.Outcome.MANUAL, "review"),
    ("badrival.example", False, rules.Outcome.MANUAL, "review"),
])
def test_decide(domain, active, outcome, rule):
    assert rules.decide(domain, has_active_grant=active, **POLICY) == rules.Decision(outcome, rule)


def test_tokens_are_random_hashed_and_compared_in_constant_time():
    a, b = tokens.new_token(), tokens.new_token()
    assert a != b and len(a) >= 43
    assert tokens.matches(a, tokens.hash_token(a)) and not tokens.matches(b, tokens.hash_token(a))
    assert not tokens.plausible("x" * 129) and not tokens.plausible("é") and not tokens.plausible("")
    assert len(tokens.new_download_id()) == 20


@pytest.mark.parametrize("path", [rules.__file__, tokens.__file__])
def test_pure_modules_import_neither_flask_nor_the_database(path):
    tree = ast.parse(Path(path).read_text())
    names = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(n.startswith(("flask", "sqlalchemy", "vault.db")) for n in names)
