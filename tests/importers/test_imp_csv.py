"""CSV: encodings (UTF-8, BOM, GB18030/GBK, UTF-16), delimiters, line numbers."""
from __future__ import annotations

from pathlib import Path

import pytest

from importers import ImportErrorWithContext, load_questionnaire

from imp_fixtures import ZH

ZH_QUESTIONS = [
    "序号,问题,回答,备注",
    "1,是否制定了信息安全管理制度？,,",
    "2,是否定期开展安全意识培训？,是,每年两次",
    "3,是否对重要数据进行备份？,,",
]


def csv_bytes(lines, encoding="utf-8", sep=","):
    return "\r\n".join(line.replace(",", sep) for line in lines).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_encodings_and_delimiters(encoding, sep):
    q = load_questionnaire(csv_bytes(ZH_QUESTIONS, encoding, sep), "问卷.csv")
    assert q.source_format == "csv"
    assert [x.text for x in q.questions] == ["是否制定了信息安全管理制度？", "是否定期开展安全意识培训？",
                                            "是否对重要数据进行备份？"]
    assert [x.qid for x in q.questions] == ["1", "2", "3"]
    assert q.sheets[0].columns == {"id": "A", "question": "B", "answer": "C", "comment": "D"}
    second = q.questions[1]
    assert (second.existing_answer, second.existing_comment) == ("是", "每年两次")
    assert second.answer_at == second.answer_at.__class__(kind="csv", row=3, column=3,
                                                          extra={"column_letter": "C"})
    assert q.warnings == []


def test_row_is_the_line_where_a_multiline_record_starts():
    text = ('Vendor questionnaire\n\nID,Question,Answer\nQ1,"Do you encrypt\nbackups?",Yes\n'
            'Q2,Do you patch monthly?,No\n')
    q = load_questionnaire(text.encode(), "q.csv")
    assert q.sheets[0].header_row == 3
    assert [(x.qid, x.question_at.row) for x in q.questions] == [("Q1", 4), ("Q2", 6)]
    assert q.questions[0].text == "Do you encrypt\nbackups?"


def test_western_legacy_encoding_falls_back_with_warning():
    data = "Question,Answer\nDo you use caf\u00e9 Wi-Fi for admin work?,No\n".encode("cp1252")
    q = load_questionnaire(data, "q.csv")
    assert q.questions[0].text == "Do you use caf\u00e9 Wi-Fi for admin work?"
    assert any("Windows-1252" in w for w in q.warnings)


def test_csv_without_questions():
    with pytest.raises(ImportErrorWithContext, match="no question"):
        load_questionnaire(b"a,b\n1,2\n3,4\n", "numbers.csv")


def test_layout_hint_for_csv():
    data = b"x,y,z\nA1,Is there a firewall?,\nA2,Is there an IDS?,\n"
    hint = {"sheets": {"csv": {"header_row": 1, "columns": {"id": "A", "question": "B", "answer": "C"}}}}
    q = load_questionnaire(data, "h.csv", layout_hint=hint)
    assert [(x.qid, x.answer_at.column) for x in q.questions] == [("A1", 3), ("A2", 3)]


REAL = [
    # file, questions, first id, first section, columns
    ("gbt22239_2019_level3.csv", 304, "L3-001", "安全物理环境", {"id": "A", "section": "B", "question": "C"}),
    ("gbt22239_2019_requirements_all_levels.csv", 398, "HR-001", "安全物理环境",
     {"id": "A", "section": "C", "question": "E"}),
    ("mlps_level3_aliyun_precheck_97.csv", 97, "HRR-001", "安全通信网络",
     {"id": "A", "section": "B", "question": "D", "guidance": "E"}),
    ("owasp_asvs_4.0.3-en.csv", 286, "V1.1.1", "Secure Software Development Lifecycle",
     {"section": "D", "id": "E", "question": "F"}),
    ("owasp_asvs_4.0.3-zh-cn.csv", 285, "V1.1.1", "安全软件开发生命周期",
     {"section": "D", "id": "E", "question": "F"}),
]


@pytest.mark.parametrize("name,count,first_id,section,columns", REAL)
def test_real_chinese_and_asvs_files(name, count, first_id, section, columns):
    path = Path(ZH) / name
    if not path.exists():
        pytest.skip("shared data missing")
    q = load_questionnaire(path)
    assert len(q.questions) == count
    assert q.sheets[0].columns == columns
    assert q.sheets[0].header_row == 1
    first = q.questions[0]
    assert (first.qid, first.section, first.question_at.row) == (first_id, section, 2)
    # no answer column: the filled copy appends Answer | Comment after the table's last column
    width = max(len(line.split(",")) for line in path.read_text("utf-8").splitlines()[:1])
    assert (first.answer_at.column, first.comment_at.column) == (width + 1, width + 2)
    assert first.answer_at.extra["new_column"] == {"role": "answer", "header_row": 1, "style_from": None}
    assert len({x.qid for x in q.questions}) == count
    assert any("no answer column" in w for w in q.warnings)


def test_asvs_text_and_gbk_roundtrip_of_real_file():
    path = Path(ZH) / "gbt22239_2019_level3.csv"
    if not path.exists():
        pytest.skip("shared data missing")
    utf8 = load_questionnaire(path)
    gbk = load_questionnaire(path.read_text("utf-8").encode("gbk"), "gbk.csv")
    assert [x.text for x in gbk.questions] == [x.text for x in utf8.questions]
    assert utf8.questions[0].text == "机房场地应选择在具有防震、防风和防雨等能力的建筑内。"
    en = load_questionnaire(Path(ZH) / "owasp_asvs_4.0.3-en.csv")
    assert en.questions[0].text.startswith("Verify the use of a secure software development lifecycle")
