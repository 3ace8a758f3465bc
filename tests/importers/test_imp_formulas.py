"""The formula evaluator used when a file has no saved values."""
from __future__ import annotations

import pytest

from importers.safety import Deadline
from importers.xlsx_formulas import Evaluator
from importers.xlsx_reader import SheetData, WorkbookData


def workbook(formula: str) -> tuple[Evaluator, SheetData]:
    main = SheetData(name="Main", index=0)
    data = SheetData(name="Data Sheet", index=1)
    for r, row in enumerate([("ID", "Text", "N"), ("A-1", "alpha", 1), ("A-2", "Beta", 2),
                             ("A-3", "gamma", 3)], start=1):
        for c, v in enumerate(row, start=1):
            data.cells[(r, c)] = v
    data.max_row, data.max_col = 4, 3
    main.cells[(1, 1)] = "a-2"
    main.formulas[(1, 2)] = formula
    main.uncached.add((1, 2))
    main.formulas[(1, 3)] = "B1"  # self-referencing chain: B1 may refer to C1
    main.uncached.add((1, 3))
    main.max_row, main.max_col = 1, 3
    wb = WorkbookData(sheets=[main, data],
                      defined_names={"ids": [(None, "'Data Sheet'!$A$2:$A$4")]})
    return Evaluator(wb, Deadline(10, "t")), main


@pytest.mark.parametrize("formula,expected", [
    ("VLOOKUP($A1,'Data Sheet'!$A$2:$C$4,2,0)&\"\"", "Beta"),
    ("VLOOKUP(\"A-9\",'Data Sheet'!$A$2:$C$4,2,FALSE)", "#N/A"),
    ("IFERROR(VLOOKUP(\"A-9\",'Data Sheet'!A2:C4,2,0),\"none\")", "none"),
    ("VLOOKUP(\"A*3\",'Data Sheet'!A2:C4,2,0)", "gamma"),
    ("HLOOKUP(\"Text\",'Data Sheet'!A1:C4,3,0)", "Beta"),
    ("INDEX('Data Sheet'!B2:B4,MATCH(A1,'Data Sheet'!A2:A4,0))", "Beta"),
    ("INDEX('Data Sheet'!A1:C4,4,2)", "gamma"),
    ("MATCH(A1,ids,0)", 2.0),
    ("\"Q: \"&UPPER(LEFT('Data Sheet'!B2,3))&MID(\"xyz\",2,1)&RIGHT(\"abc\",2)", "Q: ALPybc"),
    ("CONCATENATE(\"a\",'Data Sheet'!C3,TRUE)", "a2TRUE"),
    ("_xlfn.CONCAT('Data Sheet'!B2:B3)", "alphaBeta"),
    ("_xlfn.TEXTJOIN(\", \",TRUE,'Data Sheet'!B2:B4)", "alpha, Beta, gamma"),
    ("IF('Data Sheet'!C4>2,\"big\",\"small\")", "big"),
    ("IF(AND(1=1,OR(FALSE,\"a\"=\"A\")),TRIM(\"  two   words \"),0)", "two words"),
    ("SUBSTITUTE(\"a-b-c\",\"-\",\"+\")&LEN(\"abcd\")", "a+b+c4"),
    ("'Data Sheet'!C2+'Data Sheet'!C3*2^2-1", 8.0),
    ("C1", "#CIRCULAR!"),  # B1 -> C1 -> B1
    ("INDIRECT(\"A1\")", None),  # unsupported: left unknown
    ("SUM(", None),  # unparsable
])
def test_formula(formula, expected):
    ev, main = workbook(formula)
    assert ev.value(main, 1, 2) == expected


def test_unsupported_formulas_are_recorded():
    ev, main = workbook("INDIRECT(\"A1\")")
    assert ev.value(main, 1, 2) is None
    assert "INDIRECT" in ev.failures[("Main", 1, 2)]
