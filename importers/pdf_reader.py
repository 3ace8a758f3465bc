"""PDF questionnaires: AcroForm fields when the PDF is a form, otherwise questions
found in the text (best effort).

pypdf runs only in a child process (`sandbox.run_bounded`) with an address-space limit
(`Limits.max_pdf_memory_bytes`) and the import's time budget: a crafted PDF can make a
parser loop or allocate without bound (THREATS.md "PDF DoS"). The child returns plain
data (`extract()`); questions are built here.
"""
from __future__ import annotations

import io
import re
import time

from .headers import looks_like_question
from .i18n_marker import N_
from .model import ImportErrorWithContext, Locator, Question, Questionnaire, SheetDetection
from .safety import Deadline, Limits
from .sandbox import SandboxError, run_bounded

MAX_TEXT_CHARS = 5_000_000  # extracted text kept from the whole document
FIELDS_NAME = "form fields"
TEXT_NAME = "text"
_FF_PUSHBUTTON = 1 << 16
_FF_RADIO = 1 << 15
_ANNOT_HIDDEN = 1 << 1


# ------------------------------------------------------------------ child process side

def _s(v) -> str | None:
    if v is None:
        return None
    try:
        return str(v)
    except Exception:  # noqa: BLE001 - a broken string object is just no text
        return None


def _inherited(obj, key, depth: int = 0):
    while obj is not None and depth < 32:
        if key in obj:
            return obj[key]
        parent = obj.get("/Parent")
        obj = parent.get_object() if parent is not None else None
        depth += 1
    return None


def _full_name(obj) -> str | None:
    parts = []
    depth = 0
    while obj is not None and depth < 32:
        t = _s(obj.get("/T"))
        if t:
            parts.append(t)
        parent = obj.get("/Parent")
        obj = parent.get_object() if parent is not None else None
        depth += 1
    return ".".join(reversed(parts)) or None


def _page_fragments(page) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text run on the page, in user space."""
    out: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text and text.strip() and len(out) < 20_000:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            out.append((float(x), float(y), text.strip()))
    try:
        page.extract_text(visitor_text=visit)
    except Exception:  # noqa: BLE001 - labels are best effort
        return []
    return out


def _label_near(frags: list[tuple[float, float, str]], rect: list[float]) -> str | None:
    """The text run closest to the left of, or just above, a field's rectangle."""
    if not frags or len(rect) != 4:
        return None
    x0, x1 = sorted((rect[0], rect[2]))
    y0, y1 = sorted((rect[1], rect[3]))
    best, best_d = None, 1e9
    for x, y, t in frags:
        if len(t) < 2:
            continue
        if x < x0 and y0 - 4 <= y <= y1 + 4:  # same line, on the left
            d = (x0 - x) * 0.5
        elif y1 - 2 <= y <= y1 + 40 and x <= x1:  # above
            d = (y - y1) + 0.1 * abs(x - x0) + 5
        else:
            continue
        if d < best_d:
            best, best_d = t, d
    return best


def extract(data: bytes, max_pages: int, max_chars: int) -> dict:
    """Runs in the sandbox. Returns {"status": "ok"|"encrypted"|"too_many_pages"|"damaged",
    "pages": [text], "fields": [...]}."""
    import pypdf
    from pypdf import PasswordType
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                how = reader.decrypt("")
            except (DependencyError, NotImplementedError) as e:
                return {"status": "encrypted", "detail": f"unsupported encryption ({e})"}
            if how != PasswordType.USER_PASSWORD:  # a user password is needed to open it
                return {"status": "encrypted", "detail": ""}
        n = len(reader.pages)
        if n > max_pages:
            return {"status": "too_many_pages", "pages": n}
        pages: list[str] = []
        total = 0
        fields: list[dict] = []
        seen: dict[str, dict] = {}
        for i, page in enumerate(reader.pages):
            text = ""
            if total < max_chars:
                try:
                    text = page.extract_text() or ""
                except (PdfReadError, FileNotDecryptedError):
                    raise
                except Exception:  # noqa: BLE001 - one unreadable page is not the whole file
                    text = ""
                text = text[: max_chars - total]
                total += len(text)
            pages.append(text)
            annots = page.get("/Annots")
            annots = annots.get_object() if annots is not None else None
            if not annots:
                continue
            frags = None
            for ref in list(annots)[:5000]:
                a = ref.get_object()
                if _s(a.get("/Subtype")) != "/Widget":
                    continue
                ft = _s(_inherited(a, "/FT"))
                ff = int(_inherited(a, "/Ff") or 0)
                flags = int(a.get("/F") or 0)
                name = _full_name(a)
                if not ft or not name or ft == "/Btn" and ff & _FF_PUSHBUTTON:
                    continue
                rect = [float(x) for x in (a.get("/Rect") or [])][:4]
                tu = _s(_inherited(a, "/TU"))
                entry = seen.get(name)
                if entry is None:
                    if not tu:
                        if frags is None:
                            frags = _page_fragments(page)
                        label = _label_near(frags, rect)
                    else:
                        label = None
                    opts = []
                    for o in _inherited(a, "/Opt") or []:
                        o = o.get_object() if hasattr(o, "get_object") else o
                        if isinstance(o, (list, tuple)) and len(o) == 2:
                            o = o[1]
                        t = _s(o)
                        if t is not None and t.strip():
                            opts.append(t.strip())
                    value = _inherited(a, "/V")
                    entry = {"name": name, "type": ft, "flags": ff, "tooltip": tu, "label": label,
                             "options": opts, "states": [], "page": i + 1, "rect": rect,
                             "value": _s(value.get_object() if hasattr(value, "get_object") else value),
                             "hidden": bool(flags & _ANNOT_HIDDEN), "widgets": 0,
                             "max_len": _inherited(a, "/MaxLen")}
                    if entry["max_len"] is not None:
                        entry["max_len"] = int(entry["max_len"])
                    seen[name] = entry
                    fields.append(entry)
                entry["widgets"] += 1
                if ft == "/Btn":
                    ap = a.get("/AP")
                    normal = ap.get_object().get("/N") if ap is not None else None
                    normal = normal.get_object() if normal is not None else None
                    if hasattr(normal, "keys"):
                        for k in normal.keys():
                            k = str(k).lstrip("/")
                            if k != "Off" and k not in entry["states"]:
                                entry["states"].append(k)
        return {"status": "ok", "pages": pages, "fields": fields}
    except FileNotDecryptedError:
        return {"status": "encrypted", "detail": ""}
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            AssertionError, OSError, EOFError) as e:
        return {"status": "damaged", "detail": f"{type(e).__name__}: {e}"[:300]}


# ------------------------------------------------------------------ parent side

_NUMBER = re.compile(r"^\s*((?:[A-Za-z]{1,4}[-.]?)?\d{1,3}(?:\.\d{1,3}){0,4}[.)]?|\(\d{1,3}\)|"
                     r"[Qq]\d{1,4}[.:)]?)\s+")
_BULLET = re.compile(r"^\s*[•●▪◦‣∙·\-–—*]\s+")
_LEADER = re.compile(r"\.{4,}|…{2,}|(\. ){4,}")
_SENTENCE_END = re.compile(r"(?<=[.?!。？！])\s+")


def _paragraphs(text: str) -> list[tuple[int, str, bool]]:
    """(line index, text, starts with a number/bullet) for the logical lines of a page:
    a wrapped line is joined to the one before unless that one ended a sentence."""
    out: list[tuple[int, str, bool]] = []
    for i, raw in enumerate(text.split("\n")):
        line = raw.strip()
        if not line:
            continue
        starts = bool(_NUMBER.match(line) or _BULLET.match(line))
        if out and not starts and not out[-1][1].endswith((".", "?", "!", ":", "。", "？", "！", "：")) \
                and line[:1].islower():
            j, prev, s = out[-1]
            out[-1] = (j, prev + " " + line, s)
        else:
            out.append((i, line, starts))
    return out


def text_questions(pages: list[str], deadline: Deadline) -> list[tuple[int, int, str | None, str]]:
    """(page, line, number, question) for sentences that end in a question mark and for
    numbered items that read as requests ("3.1 Describe ...")."""
    found = []
    for p, text in enumerate(pages, start=1):
        for line_no, para, listed in _paragraphs(text):
            deadline.check(TEXT_NAME)
            if _LEADER.search(para):
                continue  # table of contents
            number = None
            m = _NUMBER.match(para)
            body = para
            if m:
                number = m.group(1).strip().strip("().:")
                body = para[m.end():]
            body = _BULLET.sub("", body).strip()
            if len(body) < 10 or len(body) > 1500:
                continue
            sentences = _SENTENCE_END.split(body)
            asks = [s for s in sentences if s.rstrip().endswith(("?", "？"))]
            if asks:
                # the whole item when it ends with the question, else the asking sentences
                text_q = body if body.rstrip().endswith(("?", "？")) else " ".join(asks)
                found.append((p, line_no, number, text_q.strip()))
            elif number and looks_like_question(body):
                found.append((p, line_no, number, body))
    return found


def load_pdf(data: bytes, filename: str, limits: Limits, deadline: Deadline,
             layout_hint=None) -> Questionnaire:
    if b"%%EOF" not in data[-2048:]:
        raise ImportErrorWithContext(
            N_("the PDF is damaged or truncated (no end-of-file marker); it was probably not "
               "downloaded or saved completely"), file=filename)
    seconds = max(1.0, deadline.end - time.monotonic())
    try:
        res = run_bounded("importers.pdf_reader:extract", data,
                          {"max_pages": limits.max_pdf_pages, "max_chars": MAX_TEXT_CHARS},
                          memory_bytes=limits.max_pdf_memory_bytes, seconds=seconds)
    except SandboxError as e:
        if e.kind == "timeout":
            raise ImportErrorWithContext(
                N_("reading the PDF took longer than %(seconds)s seconds and was stopped; the file "
                   "is too large or too complex (or crafted) to import"), params={"seconds": f"{seconds:.0f}"},
                file=filename) from None
        if e.kind == "memory":
            raise ImportErrorWithContext(
                N_("reading the PDF needed more than %(mb)s MB of memory and was stopped; "
                   "the file is too complex (or crafted) to import"),
                params={"mb": f"{limits.max_pdf_memory_bytes / 2**20:,.0f}"}, file=filename) from None
        raise ImportErrorWithContext(N_("the PDF cannot be read (%(error)s)"),
                                     params={"error": (e.detail or e.kind)[:200]}, file=filename) from None
    status = res["status"]
    if status == "encrypted":
        if res.get("detail"):
            raise ImportErrorWithContext(
                N_("the PDF is password-protected (encrypted); remove the password (print or save it "
                   "unprotected) and upload it again — %(detail)s"), params={"detail": res["detail"]},
                file=filename)
        raise ImportErrorWithContext(
            N_("the PDF is password-protected (encrypted); remove the password (print or save it "
               "unprotected) and upload it again"), file=filename)
    if status == "too_many_pages":
        raise ImportErrorWithContext(
            N_("the PDF has %(pages)s pages (the limit is %(limit)s); that is far beyond a questionnaire"),
            params={"pages": f"{res['pages']:,}", "limit": f"{limits.max_pdf_pages:,}"}, file=filename)
    if status == "damaged":
        raise ImportErrorWithContext(N_("the PDF is damaged and cannot be read (%(error)s)"),
                                     params={"error": res["detail"]}, file=filename)

    q = Questionnaire(source_format="pdf", filename=filename, questions=[], sheets=[], warnings=[])
    fields = [f for f in res["fields"] if not f["hidden"] and f["type"] in ("/Tx", "/Ch", "/Btn")]
    if fields:
        det = SheetDetection(name=FIELDS_NAME)
        for f in fields:
            deadline.check(FIELDS_NAME)
            _add(q, limits, filename, _field_question(f))
        det.question_count = len(fields)
        hidden = len(res["fields"]) - len(fields)
        det.notes.append(f"AcroForm: {len(fields)} fillable fields" +
                         (f" ({hidden} hidden or signature fields left out)" if hidden else ""))
        q.sheets.append(det)
        untitled = sum(1 for f in fields if not (f["tooltip"] or f["label"]))
        if untitled:
            q.warnings.append(f"{untitled} form fields have neither a tooltip nor a label near them; "
                              "their field name is used as the question")
    else:
        found = text_questions(res["pages"], deadline)
        det = SheetDetection(name=TEXT_NAME)
        for page, line, number, text in found:
            extra = {"page": page, "line": line}
            _add(q, limits, filename, Question(
                qid=number, text=text, section=None,
                question_at=Locator(kind="pdf-text", row=page, extra=extra),
                answer_at=Locator(kind="pdf-text", row=page, extra={**extra, "position": "after"}),
                comment_at=None, choices=None, existing_answer=None, existing_comment=None))
        det.question_count = len(found)
        q.sheets.append(det)
        n_pages = len(res["pages"])
        chars = sum(len(t) for t in res["pages"])
        if not chars:
            raise ImportErrorWithContext(
                N_("the PDF has no text layer (a scanned image?) and no form fields; run OCR or "
                   "upload the questionnaire as .xlsx/.docx"), file=filename)
        asked = sum(len(t) for *_, t in found)
        if not found:
            q.warnings.append(f"this PDF does not look like a questionnaire: no form fields and no "
                              f"questions in its text ({n_pages} pages)")
        elif asked < 0.2 * chars and len(found) < 2 * n_pages:
            q.warnings.append(
                f"this PDF does not look like a questionnaire: only {len(found)} question-like "
                f"sentences in {n_pages} pages of text; they were imported best-effort")
        if found:
            q.warnings.append("questions were found in the PDF's text; answers cannot be written "
                              "into it and will be exported as a separate document")
        det.notes.append(f"text of {n_pages} pages, {chars:,} characters")
    return q


def _add(q: Questionnaire, limits: Limits, filename: str, question: Question) -> None:
    q.questions.append(question)
    if len(q.questions) > limits.max_questions:
        raise ImportErrorWithContext(
            N_("the PDF has more than %(n)s questions; it was not imported (no silent truncation)"),
            params={"n": f"{limits.max_questions:,}"}, file=filename)


def _field_question(f: dict) -> Question:
    kind = {"/Tx": "text", "/Ch": "choice", "/Btn": "radio" if f["flags"] & _FF_RADIO else "checkbox"}[
        f["type"]]
    choices = None
    if kind == "choice":
        choices = f["options"] or None
    elif kind == "radio":
        choices = f["states"] or None
    elif kind == "checkbox":
        choices = (f["states"] or ["Yes"]) + ["Off"]
    text = f["tooltip"] or f["label"] or f["name"]
    extra = {"field": f["name"], "field_type": kind, "page": f["page"], "rect": f["rect"]}
    if f["tooltip"]:
        extra["tooltip"] = f["tooltip"]
    if f["label"]:
        extra["label"] = f["label"]
    if f["widgets"] > 1:
        extra["widgets"] = f["widgets"]
    if f["max_len"]:
        extra["max_len"] = f["max_len"]
    value = f["value"]
    if value is not None:
        value = value.lstrip("/") if kind in ("radio", "checkbox") else value
        if kind in ("radio", "checkbox") and value == "Off" or not value.strip():
            value = None
    loc = Locator(kind="pdf-field", sheet=None, row=f["page"], extra=extra)
    return Question(qid=f["name"], text=text.strip(), section=None, question_at=loc,
                    answer_at=Locator(kind="pdf-field", row=f["page"], extra=dict(extra)),
                    comment_at=None, choices=choices, existing_answer=value, existing_comment=None)
