"""The bounded fuzz round CI runs (fixed seed): no traceback, no damaged text kept, nothing logged
(bench/fuzz.py; `python -m bench.fuzz --n 500` is the longer run). A finding prints its mutation; keep
the input as a test in test_damaged_files.py."""
from bench.fuzz import run

N = 320  # ~40 s on two cores


def test_bounded_fuzz_round_finds_nothing():
    findings, figures = run(N, seed=14)
    assert figures["inputs"] == N and figures["refused"] > N // 4  # the mutations do damage files
    assert not findings, "\n".join(f"{f.name} ({f.mutation}): {f.what}\n{f.detail[-800:]}" for f in findings[:5])
