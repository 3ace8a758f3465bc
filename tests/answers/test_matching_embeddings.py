"""The real sentence-embedding model (all-MiniLM-L6-v2 int8, onnxruntime) inside the matcher."""
import numpy as np
import pytest

from answers.matching import LibraryEntry, MatchIndex
from answers.matching import embed

LIBRARY = [
    LibraryEntry("DEV-1", "Do your developers receive secure coding training?", answer_short="Yes"),
    LibraryEntry("HR-1", "Do you perform background checks on new employees?", answer_short="Yes"),
    LibraryEntry("BCP-1", "Do you test your disaster recovery plan every year?", answer_short="Yes"),
    LibraryEntry("LOG-1", "Do you keep audit logs for at least a year?", answer_short="Yes"),
    LibraryEntry("ENC-1", "Is customer data encrypted at rest?", answer_short="Yes"),
]
# Paraphrases that share no content word with their entry: the lexical engine finds nothing.
PARAPHRASES = {
    "Are engineers taught how to write software safely?": "DEV-1",
    "How long do you retain records of user activity?": "LOG-1",
}


@pytest.fixture(scope="module")
def model():
    m = embed.shared()
    assert m is not None, "the embedding model is a dependency and must load here"
    return m


def test_the_model_puts_paraphrases_close_and_unrelated_text_far(model):
    a, b, c = model.encode(["Do you require MFA for administrators?",
                            "Is two-factor authentication enforced for admin accounts?",
                            "Do you perform background checks on new employees?"])
    assert abs(float(np.linalg.norm(a)) - 1) < 1e-4
    assert float(a @ b) > 0.5 > float(a @ c)
    assert model.encode([]).shape == (0, 384)


def test_paraphrases_without_shared_words_are_found_only_with_embeddings(model):
    lexical = MatchIndex(LIBRARY, embedder=None)
    semantic = MatchIndex(LIBRARY, embedder=model)
    for question, ref in PARAPHRASES.items():
        assert lexical.match(question).candidates == []
        assert semantic.match(question).candidates[0].ref == ref


def test_unrelated_questions_get_no_candidates_by_meaning_alone(model):
    index = MatchIndex(LIBRARY, embedder=model)
    r = index.match("What is the airspeed velocity of an unladen swallow?")
    assert r.candidates == [] and not r.answerable


def test_chinese_questions_and_entries_stay_lexical(model):
    zh = [LibraryEntry("ZH-1", "是否对管理员启用多因素认证？", language="zh"),
          LibraryEntry("ZH-2", "是否定期备份数据？", language="zh")]
    with_model, without = MatchIndex(LIBRARY + zh, embedder=model), MatchIndex(LIBRARY + zh, embedder=None)
    question = "管理员登录是否需要多因素认证？"
    assert with_model.match(question) == without.match(question)
    # An English question: a Chinese entry has no vector and takes the pool's median, so it still wins
    # on its (glossary) words where the English entries are about something else.
    assert with_model.match("Is multi-factor authentication required for administrators?").candidates[0].ref == "ZH-1"


def test_vectors_are_saved_with_the_index_and_reused(model, tmp_path, monkeypatch):
    index = MatchIndex(LIBRARY, embedder=model)
    path = tmp_path / "lib.tvidx"
    index.save(path)
    calls = []
    real_encode = model.encode
    monkeypatch.setattr(model, "encode", lambda texts: calls.append(len(texts)) or real_encode(texts))
    loaded = MatchIndex.load(path, embedder=model)
    assert calls == []  # the library's vectors came from the file
    assert loaded.match("Are engineers taught how to write software safely?").candidates[0].ref == "DEV-1"


def test_switched_off_by_environment(monkeypatch):
    monkeypatch.setenv(embed.ENV, "0")
    assert embed.resolve("auto") is None
    monkeypatch.setenv(embed.ENV, "1")
    assert embed.resolve("auto") is not None


def test_a_model_file_that_fails_its_checksum_is_never_run(monkeypatch, caplog):
    monkeypatch.setattr(embed, "MODEL_SHA256", "0" * 64)
    monkeypatch.setattr(embed, "_shared", None)
    with pytest.raises(embed.EmbeddingUnavailable, match="SHA-256"):
        embed.MiniLMEmbedder()._load()
    assert embed.resolve("minilm") is None
    assert "without sentence embeddings" in caplog.text
    assert MatchIndex(LIBRARY, embedder="auto").embedder is None


def test_a_texts_vector_does_not_depend_on_what_it_is_encoded_with(model):
    # The integer products quantize activations per run: one text per run keeps vectors reproducible.
    alone = model.encode(["Do you encrypt backups?"])[0]
    together = model.encode(["A much longer question about the retention of audit logs for a year or more",
                             "Do you encrypt backups?", "SSO?"])[1]
    assert np.array_equal(alone, together)


def test_matching_a_batch_gives_what_matching_one_by_one_gives(model):
    index = MatchIndex(LIBRARY, embedder=model)
    questions = list(PARAPHRASES) + ["Is data encrypted when stored?", "是否定期备份数据？", "Totally unrelated: weather"]
    for one, batch in zip([index.match(q) for q in questions], index.match_many(questions)):
        assert [c.ref for c in one.candidates] == [c.ref for c in batch.candidates]
        assert one.confidence == pytest.approx(batch.confidence, abs=1e-5)


def _fresh(cache, monkeypatch):
    from answers.matching import quantize
    monkeypatch.setattr(quantize, "_configured", {"cache_dir": cache})
    return embed.MiniLMEmbedder(threads=1)


def test_the_integer_copy_is_derived_once_cached_and_close_to_the_checked_model(tmp_path, monkeypatch):
    from answers.matching import quantize
    first = _fresh(tmp_path, monkeypatch)
    first._load()
    assert first.name == f"{embed.NAME}-{quantize.RECIPE}"
    [cached] = list(tmp_path.glob("*.onnx"))
    assert embed.MODEL_SHA256[:16] in cached.name and not list(tmp_path.glob(".derive-*"))
    monkeypatch.setattr(quantize, "_derive", lambda *a: pytest.fail("derived again despite the cache"))
    second = _fresh(tmp_path, monkeypatch)
    texts = ["Do you require MFA for administrators?", "Is customer data encrypted at rest?"]
    floats = embed.MiniLMEmbedder(threads=1, integer=False)
    cos = (second.encode(texts) * floats.encode(texts)).sum(axis=1)
    assert floats.name == embed.NAME and (cos > 0.98).all()


def test_a_damaged_cached_copy_is_derived_again(tmp_path, monkeypatch):
    from answers.matching import quantize
    _fresh(tmp_path, monkeypatch)._load()
    [cached] = list(tmp_path.glob("*.onnx"))
    cached.write_bytes(b"not a model")
    again = _fresh(tmp_path, monkeypatch)
    again._load()
    assert again.name.endswith(quantize.RECIPE) and cached.stat().st_size > 1_000_000


def test_without_the_integer_copy_the_checked_model_runs(tmp_path, monkeypatch, caplog):
    from answers.matching import quantize

    def broken(*_):
        raise RuntimeError("quantizer missing")
    monkeypatch.setattr(quantize, "_derive", broken)
    m = _fresh(tmp_path, monkeypatch)
    assert m.encode(["Is customer data encrypted at rest?"]).shape == (1, 384)
    assert m.name == embed.NAME and "quantizer missing" in caplog.text
