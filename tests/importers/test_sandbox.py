"""importers.sandbox beyond the PDF reader: input streamed in pieces, a target loaded by file path."""
import hashlib
import io
import sys

from importers.sandbox import run_bounded


def test_chunks_are_streamed_to_the_child():
    data = bytes(range(256)) * 5000  # 1.28 MB: several pipe pieces
    fh = io.BytesIO(data)
    digest = run_bounded("tests.importers.test_sandbox:sha256", iter(lambda: fh.read(4096), b""), {},
                         memory_bytes=None, seconds=30)
    assert digest == hashlib.sha256(data).hexdigest()


def test_a_target_file_is_loaded_without_its_package(tmp_path):
    (tmp_path / "__init__.py").write_text("raise RuntimeError('the package must not be imported')\n")
    target = tmp_path / "check.py"
    target.write_text("import sys\n\ndef check(data, tag):\n"
                      "    return [tag, len(data), sorted(m for m in ('flask', 'importers') if m in sys.modules)]\n")
    assert run_bounded(f"{target}:check", b"abc", {"tag": "x"}, memory_bytes=None, seconds=30) == ["x", 3, []]


def sha256(data: bytes) -> str:
    """Target of the streaming test (runs in the child)."""
    assert "flask" not in sys.modules
    return hashlib.sha256(data).hexdigest()
