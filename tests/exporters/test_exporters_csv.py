"""fill_csv: encodings, delimiters, quoting and line endings of the source are kept."""
from __future__ import annotations

import codecs
import csv
import io

import pytest

from exporters import CsvExportError, detect_csv_format, fill_csv
from tests.exporters._helpers import ZH_DIR

GBT = ZH_DIR / "gbt22239_2019_level3.csv"
needs_gbt = pytest.mark.skipif(not GBT.exists(), reason=f"{GBT} not present")


def rows_of(data: bytes, encoding: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline=""), delimiter=delimiter))


def assert_only_cells_changed(before, after, changed: dict[tuple[int, int], str]):
    width = max(len(before), len(after))
    for r in range(width):
        old = before[r] if r < len(before) else []
        new = after[r] if r < len(after) else []
        expected = list(old)
        for (row, col), value in changed.items():
            if row == r + 1:
                expected += [""] * (col - len(expected))
                expected[col - 1] = value
        assert new == expected, f"record {r + 1}"


# ---------------------------------------------------------------- real Chinese files

@needs_gbt
@pytest.mark.parametrize("variant", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_real_chinese_questionnaire_in_each_encoding(variant):
    text = GBT.read_bytes().decode("utf-8")
    src = text.encode(variant)
    fmt = detect_csv_format(src)
    expected_label = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gb18030",
                      "gb18030": "gb18030"}[variant]
    assert (fmt.label, fmt.delimiter, fmt.line_ending) == (expected_label, ",", "\r\n")
    writes = [(2, 7, "符合：已部署于具备防震、防风、防雨能力的数据中心。"), (3, 7, "=SUM(1,2)"),
              (4, 3, "已修改的要求, with a comma")]
    out = fill_csv(src, writes)
    decode_as = "utf-8-sig" if variant == "utf-8-sig" else ("gb18030" if variant == "gbk" else variant)
    if variant == "utf-8-sig":
        assert out.startswith(codecs.BOM_UTF8) and not out[3:].startswith(codecs.BOM_UTF8)
    else:
        assert not out.startswith(codecs.BOM_UTF8)
    if variant == "gbk":  # what we wrote is plain GBK too
        out.decode("gbk")
    before, after = rows_of(src, decode_as), rows_of(out, decode_as)
    assert_only_cells_changed(before, after, {(2, 7): writes[0][2], (3, 7): "'=SUM(1,2)",
                                              (4, 3): writes[2][2]})
    # untouched records are byte-identical, line endings included
    src_lines, out_lines = src.split(b"\r\n"), out.split(b"\r\n")
    assert len(src_lines) == len(out_lines)
    assert [l for i, l in enumerate(src_lines) if i not in (1, 2, 3)] == \
           [l for i, l in enumerate(out_lines) if i not in (1, 2, 3)]
    expected = '"已修改的要求, with a comma"'.encode("utf-8" if variant == "utf-8-sig" else decode_as)
    assert expected in out_lines[3]  # quoted: it has a comma


def test_gbk_file_written_in_gbk():
    src = "编号,问题,答案\r\n1,是否有安全策略？,\r\n2,是否加密存储？,\r\n".encode("gbk")
    out = fill_csv(src, [(2, 3, "是，已制定并每年审阅"), (3, 3, "是（AES-256）")])
    assert out.decode("gbk") == ("编号,问题,答案\r\n1,是否有安全策略？,是，已制定并每年审阅\r\n"
                                 "2,是否加密存储？,是（AES-256）\r\n")
    # a character outside GBK is still written (GB18030 four-byte form)
    out = fill_csv(src, [(2, 3, "😀")])
    assert out.decode("gb18030").splitlines()[1] == "1,是否有安全策略？,😀"


def test_utf8_bom_kept():
    src = codecs.BOM_UTF8 + "ID;Frage;Antwort\r\nQ1;Verschlüsselung?;\r\n".encode()
    out = fill_csv(src, [(2, 3, "Ja, AES-256")])
    assert out == codecs.BOM_UTF8 + "ID;Frage;Antwort\r\nQ1;Verschlüsselung?;Ja, AES-256\r\n".encode()
    assert detect_csv_format(src).label == "utf-8-sig"


def test_utf16_with_bom():
    src = codecs.BOM_UTF16_LE + "a\tb\r\n1\t\r\n".encode("utf-16-le")
    out = fill_csv(src, [(2, 2, "ü")])
    assert out == codecs.BOM_UTF16_LE + "a\tb\r\n1\tü\r\n".encode("utf-16-le")


# ---------------------------------------------------------------- structure

@pytest.mark.parametrize("eol", ["\r\n", "\n", "\r"])
def test_line_endings_kept(eol):
    src = eol.join(["a,b", "1,", "2,", ""]).encode()
    assert detect_csv_format(src).line_ending == eol
    assert fill_csv(src, [(3, 2, "x")]) == eol.join(["a,b", "1,", "2,x", ""]).encode()


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiter_sniffed(delim):
    rows = [["ID", "Question, long", "Answer"], ["1", "Do you; or not?", ""], ["2", "Q|2", ""]]
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator="\r\n").writerows(rows)
    src = buf.getvalue().encode()
    assert detect_csv_format(src).delimiter == delim
    out = fill_csv(src, [(2, 3, "Yes"), (3, 3, "No")])
    assert rows_of(out, "utf-8", delim) == [rows[0], ["1", "Do you; or not?", "Yes"], ["2", "Q|2", "No"]]


def test_explicit_delimiter_wins():
    assert fill_csv(b"a;b,c\r\n", [(1, 3, "x")], delimiter=";") == b"a;b,c;x\r\n"


def test_quoting_of_untouched_fields_and_records_is_kept():
    src = (b'"ID","Question","Answer"\r\n'
           b'"1","Multi\r\nline question",""\r\n'
           b'2,plain,\r\n'
           b'3,"quoted ""inner""",old\r\n')
    out = fill_csv(src, [(2, 3, "Yes"), (3, 3, "has, comma"), (4, 3, 'say "hi"'), (4, 5, "far")])
    assert out == (b'"ID","Question","Answer"\r\n'
                   b'"1","Multi\r\nline question","Yes"\r\n'
                   b'2,plain,"has, comma"\r\n'
                   b'3,"quoted ""inner""","say ""hi""",,far\r\n')


def test_quote_all_style_is_followed_for_new_fields():
    out = fill_csv(b'"a","b"\r\n', [(1, 4, "x")])
    assert out == b'"a","b",,"x"\r\n'


def test_values_needing_quotes():
    out = fill_csv(b"a,b\n", [(1, 2, "line1\nline2"), (1, 3, " padded "), (1, 4, "q\"")])
    assert rows_of(out, "utf-8") == [["a", "line1\nline2", " padded ", 'q"']]
    assert out.endswith(b"\n") and b"\r" not in out


def test_rows_are_records_not_physical_lines():
    src = b'id,text,answer\r\n1,"two\r\nlines",\r\n2,x,\r\n'
    out = fill_csv(src, [(3, 3, "for id 2")])
    assert rows_of(out, "utf-8")[2] == ["2", "x", "for id 2"]


def test_blank_lines_count_as_records_like_csv_reader():
    src = b"a,b\r\n\r\nc,d\r\n"
    out = fill_csv(src, [(2, 2, "x"), (3, 3, "y")])
    assert out == b"a,b\r\n,x\r\nc,d,y\r\n"
    assert rows_of(out, "utf-8") == [["a", "b"], ["", "x"], ["c", "d", "y"]]


def test_rows_past_the_end_are_appended():
    assert fill_csv(b"a,b\r\n1,2\r\n", [(4, 2, "x")]) == b"a,b\r\n1,2\r\n\r\n,x\r\n"
    # no final line break in the source: none added after the new rows either
    assert fill_csv(b"a,b\n1,2", [(3, 1, "x")]) == b"a,b\n1,2\nx"
    assert fill_csv(b"", [(1, 1, "x")]) == b"x\r\n"


# ---------------------------------------------------------------- errors

def test_undecodable_bytes_need_an_encoding():
    src = "Réponse;Oui\r\n".encode("cp1252") + b"\x81\xff"
    with pytest.raises(CsvExportError, match="pass encoding="):
        fill_csv(src, [(1, 3, "x")])
    latin = "Réponse;Question\r\n".encode("latin-1")
    out = fill_csv(latin, [(1, 3, "Oui, sûr")], encoding="latin-1")
    assert out == "Réponse;Question;Oui, sûr\r\n".encode("latin-1")
    with pytest.raises(CsvExportError, match="cannot be written in iso8859-1"):
        fill_csv(latin, [(1, 3, "中文")], encoding="latin-1")


@pytest.mark.parametrize("writes, match", [
    ([(0, 1, "x")], "1-based"),
    ([(1, 0, "x")], "1-based"),
    ([(1, 1, 5)], "must be str"),
    ([(1, 1, "x"), (1, 1, "y")], "written twice"),
    ([(1, 1)], r"\(row, col, value\)"),
])
def test_bad_writes(writes, match):
    with pytest.raises(CsvExportError, match=match):
        fill_csv(b"a,b\r\n", writes)
