"""The pre-cut font cache: built once per font file, reused across processes, rebuilt when stale or
corrupt, safe under concurrent first use; per-name fonts copied from it; rare characters fall back."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from tests.watermark.builders import VALID_PDF, count_font_calls
from vault.watermark import Recipient, fonts, precut, watermark_pdf

ROOT = Path(__file__).resolve().parents[2]
DEJAVU = fonts.find_fallback_font()  # small (0.2 s to pre-cut): the cache mechanics
CJK = fonts.find_cjk_font()
needs_dejavu = pytest.mark.skipif(DEJAVU is None, reason="no DejaVu Sans (apt-get install fonts-dejavu-core)")
needs_cjk = pytest.mark.skipif(CJK is None, reason="no CJK font (apt-get install fonts-wqy-microhei)")


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory):
    """One cache for the module: the CJK font is pre-cut once (1-7 s), not once per test."""
    precut.configure(cache_dir=tmp_path_factory.mktemp("fonts"), enabled=True)
    precut.forget()
    yield
    precut.configure(cache_dir=None, enabled=None)
    precut.forget()


@pytest.fixture(autouse=True)
def fresh_names(module_cache):
    fonts.clear_mini_fonts()
    yield
    precut.configure(enabled=True)
    fonts.clear_mini_fonts()


@pytest.fixture
def isolated(tmp_path, module_cache):
    """An empty cache of its own, nothing loaded."""
    before = precut.cache_dir()
    precut.configure(cache_dir=tmp_path / "fonts")
    precut.forget()
    yield tmp_path / "fonts"
    precut.configure(cache_dir=before)
    precut.forget()


@pytest.fixture
def builds(monkeypatch):
    """Counts the pre-cut builds."""
    return count_font_calls(monkeypatch, precut, "build")


@pytest.fixture
def font_copy(tmp_path):
    path = tmp_path / "Sans.ttf"
    shutil.copyfile(DEJAVU, path)
    return path


def cached_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*" + precut.SUFFIX))


@needs_dejavu
def test_built_once_then_reused_from_disk(isolated, font_copy, builds):
    first = precut.template(font_copy)
    assert first is not None and "A" in first.covered and len(builds) == 1
    assert len(cached_files(isolated)) == 1
    assert precut.template(font_copy) is first  # memory
    precut.forget()
    again = precut.template(font_copy)  # disk, as a new process would
    assert again is not first and again.order == first.order and len(builds) == 1


@needs_dejavu
def test_another_process_reuses_the_file(isolated, font_copy):
    precut.template(font_copy)
    code = ("import sys; from pathlib import Path; from vault.watermark import precut\n"
            "precut.build = lambda *a: sys.exit('rebuilt')\n"
            f"t = precut.template(Path({str(font_copy)!r}))\n"
            "print(len(t.order))")
    env = {**os.environ, "VAULT_FONT_CACHE_DIR": str(isolated)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == len(precut.template(font_copy).order)


@needs_dejavu
def test_rebuilt_when_the_font_file_changes(isolated, font_copy, builds):
    precut.template(font_copy)
    [old] = cached_files(isolated)
    stat = font_copy.stat()
    os.utime(font_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert precut.template(font_copy) is not None  # a running process notices too
    assert len(builds) == 2
    assert cached_files(isolated) != [old] and len(cached_files(isolated)) == 1  # the stale one is removed


@needs_dejavu
def test_rebuilt_when_the_version_changes(isolated, font_copy, builds, monkeypatch):
    precut.template(font_copy)
    [old] = cached_files(isolated)
    monkeypatch.setattr(precut, "PRECUT_VERSION", precut.PRECUT_VERSION + 1)
    precut.forget()
    assert precut.template(font_copy) is not None
    assert len(builds) == 2 and cached_files(isolated) != [old]


def _truncate(file: Path) -> None:
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])


def _flip_a_byte(file: Path) -> None:
    data = bytearray(file.read_bytes())
    data[-100] ^= 0xFF
    file.write_bytes(bytes(data))


def _garbage(file: Path) -> None:
    file.write_bytes(b"\x00" * 4096)


def _valid_checksum_but_not_a_font(file: Path) -> None:
    key = file.read_bytes()[len(precut.MAGIC):].split(b"\n", 1)[0].decode()
    precut._write(file, key, b"\x00\x01\x00\x00 definitely not a font")


@needs_dejavu
@pytest.mark.parametrize("damage", [_truncate, _flip_a_byte, _garbage, _valid_checksum_but_not_a_font])
def test_a_corrupt_cache_file_is_ignored_and_rebuilt(isolated, font_copy, builds, damage):
    good = precut.template(font_copy)
    [file] = cached_files(isolated)
    damage(file)
    precut.forget()
    rebuilt = precut.template(font_copy)
    assert rebuilt is not None and rebuilt.order == good.order and len(builds) == 2
    precut.forget()
    assert precut.template(font_copy).order == good.order and len(builds) == 2  # the file was repaired


@needs_dejavu
def test_an_unwritable_cache_directory_keeps_the_precut_in_memory(isolated, tmp_path, font_copy):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    precut.configure(cache_dir=blocker / "fonts")
    assert precut.template(font_copy) is not None


@needs_dejavu
def test_concurrent_first_use_in_threads_builds_once(isolated, font_copy, builds):
    results = []
    barrier = threading.Barrier(8)

    def use():
        barrier.wait()
        results.append(precut.template(font_copy))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and len({id(r) for r in results}) == 1 and results[0] is not None


@needs_dejavu
def test_concurrent_first_use_in_processes_leaves_one_good_file(isolated, font_copy):
    code = ("from pathlib import Path; from vault.watermark import precut\n"
            "real = precut.build; built = []\n"
            "precut.build = lambda *a: built.append(1) or real(*a)\n"
            f"t = precut.template(Path({str(font_copy)!r}))\n"
            "print(len(built), len(t.order))")
    env = {**os.environ, "VAULT_FONT_CACHE_DIR": str(isolated)}
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT, env=env) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    built = [int(out.split()[0]) for out, _ in outs]
    assert sum(built) == 1  # the file lock: one builds, the others load its file
    [file] = cached_files(isolated)
    key = precut.cache_key(font_copy)
    assert precut.Template(precut._read(file, key)).order == precut.template(font_copy).order


@needs_cjk
def test_a_name_font_is_copied_from_the_precut_with_the_source_outlines():
    text = "王伟 Zoë — 示例云科技有限公司（北京）"
    path, covered = fonts.mini_font(CJK, text)
    assert set(text) <= covered
    small = TTFont(str(path))
    source = TTFont(str(CJK), fontNumber=fonts.collection_index(CJK), lazy=True)
    small_map, source_map = small.getBestCmap(), source.getBestCmap()
    assert len(small.getGlyphOrder()) < 200  # only what the text needs (plus ASCII), not the pre-cut's thousands
    for ch in "王伟ë（":
        a, b = small_map[ord(ch)], source_map[ord(ch)]
        assert small["hmtx"][a][0] == source["hmtx"][b][0], ch
        pen_a, pen_b = DecomposingRecordingPen(small.getGlyphSet()), DecomposingRecordingPen(source.getGlyphSet())
        small.getGlyphSet()[a].draw(pen_a)
        source.getGlyphSet()[b].draw(pen_b)
        if "glyf" in source:  # TrueType source: the very same outline
            assert pen_a.value == pen_b.value, ch
        else:  # CFF source, converted to quadratic curves: the same contours
            assert [op for op, _ in pen_a.value].count("closePath") == [op for op, _ in pen_b.value].count("closePath")


def _in_font(chars: str) -> bool:
    cmap = TTFont(str(CJK), fontNumber=fonts.collection_index(CJK), lazy=True).getBestCmap()
    return all(ord(c) in cmap for c in chars)


@needs_cjk
def test_common_names_use_the_precut_rare_ones_the_font_file(monkeypatch):
    used = []
    real = precut.template
    monkeypatch.setattr(precut, "template", lambda *a: used.append(a) or real(*a))
    fonts.mini_font(CJK, "张伟 示例云科技有限公司")
    assert len(used) == 1
    path, covered = fonts.mini_font(CJK, "王堃 李喆 示例云科技有限公司")  # neither is in GB2312
    assert len(used) == 1
    if _in_font("堃喆"):
        assert {"堃", "喆", "王", "示"} <= covered


@needs_cjk
@pytest.mark.parametrize("name", ["王堃", "李喆", "吉𠮷", "龚䶮", "欧阳娜娜"])
def test_rare_characters_render_through_the_fallback(name):
    if not _in_font(name):
        pytest.skip(f"{CJK.name} has no glyph for a character of {name} (Noto Sans CJK has them)")
    r = Recipient(name, "x@example.cn", "示例云科技有限公司", "2026-11-24 05:40 UTC", "RareName_0000001")
    out = io.BytesIO()
    watermark_pdf(VALID_PDF, out, r)
    text = PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()
    assert f"downloaded by {name} (x@example.cn), 示例云科技有限公司" in text


@needs_cjk
def test_the_pdf_embeds_only_the_glyphs_it_shows():
    r = Recipient("诸葛晓晖", "zg@example.cn", "杭州数据服务有限公司", "2026-11-24 05:40 UTC", "EmbedSize_000001")
    sizes = {}
    for on in (True, False):
        precut.configure(enabled=on)
        fonts.clear_mini_fonts()
        out = io.BytesIO()
        watermark_pdf(VALID_PDF, out, r)
        assert r.name in PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()
        sizes[on] = len(out.getvalue())
    assert abs(sizes[True] - sizes[False]) < 8_000  # a 1-2 MB pre-cut embedded whole would show here
    assert sizes[True] <= 1.15 * VALID_PDF.stat().st_size


@needs_cjk
def test_switched_off_every_name_is_cut_from_the_font_file(monkeypatch):
    precut.configure(enabled=False)
    monkeypatch.setattr(precut, "template", lambda *a: pytest.fail("pre-cut used while switched off"))
    path, covered = fonts.mini_font(CJK, "张伟")
    assert {"张", "伟"} <= covered
