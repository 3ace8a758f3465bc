"""The extra bench families (bench/data/families) load into DevSets with consistent labels."""
from bench.matching.families import FAMILIES, families

# (questions, answerable, library entries) as documented in bench/data/families/README.md
EXPECTED = {
    "NIST-53r4->r5": (400, 337, 856),
    "NIST-171r3->53r5": (97, 80, 856),
    "CSF2-ex->subcat": (363, 244, 75),
    "CSF1.1->53r4": (108, 90, 218),
}


def test_families_load_with_expected_counts():
    sets = families()
    assert [s.name for s in sets] == list(FAMILIES.values())
    for s in sets:
        n_answerable = sum(1 for q in s.queries if q.gold)
        assert (len(s.queries), n_answerable, len(s.library)) == EXPECTED[s.name], s.name
        share = n_answerable / len(s.queries)
        assert 0.6 <= share <= 0.9, s.name


def test_every_label_is_in_its_library_and_ids_are_unique():
    for s in families():
        refs = [e.ref for e in s.library]
        assert len(refs) == len(set(refs)), s.name
        qids = [q.qid for q in s.queries]
        assert len(qids) == len(set(qids)), s.name
        for q in s.queries:
            assert q.text.strip(), (s.name, q.qid)
            assert "{{" not in q.text and "insert:" not in q.text, (s.name, q.qid)
            assert q.gold <= set(refs), (s.name, q.qid, q.gold - set(refs))
        for e in s.library:
            assert e.question.strip(), (s.name, e.ref)


def test_both_splits_are_populated():
    for s in families():
        assert s.part("tune") and s.part("holdout"), s.name
