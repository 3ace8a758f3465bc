"""The mixed load of the two-host benchmark, every answer checked.

Public clients (asyncio, HTTP/1.1 keep-alive through nginx, closed loop: each client sends its next
request when the answer is in): the trust center page, the status API's summary.json and watermarked
downloads on a prospect's grant. One staff member (a thread, a real browser session: cookies, CSRF
tokens read from the forms) imports a library file and has a questionnaire matched by the workers,
again and again while the phase lasts.
"""
from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser

import requests


@dataclass
class PathStats:
    label: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies) + len(self.errors)

    def fail(self, why: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(why)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))]

    def as_dict(self) -> dict:
        return {"requests": self.requests, "ok": len(self.latencies), "errors": len(self.errors),
                "per_second": round(len(self.latencies) / self.seconds, 2) if self.seconds else 0.0,
                "p50_ms": round(self.percentile(50) * 1000, 1), "p99_ms": round(self.percentile(99) * 1000, 1),
                "first_errors": self.errors[:5]}


# --- public clients -----------------------------------------------------------------------------

DOWNLOAD_ID = re.compile(rb"/TrustvaultDownloadId \(([0-9a-f]{8,32})\)")


def check_page(status: int, headers: dict, body: bytes) -> str:
    if status != 200:
        return f"status {status}"
    if b"</html>" not in body[-200:].lower():
        return "not a whole page"
    return ""


def check_summary(status: int, headers: dict, body: bytes) -> str:
    if status != 200:
        return f"status {status}"
    try:
        data = json.loads(body)
    except ValueError:
        return "not JSON"
    if not data.get("components") or "status" not in data:
        return "JSON without components or status"
    return ""


class DownloadCheck:
    """Each download: 200, a whole PDF of the length announced, carrying a download id that no other
    download has (the id the watermark prints and the Download row records)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.samples: list[bytes] = []  # a few bodies read page by page after the phase

    def __call__(self, status: int, headers: dict, body: bytes) -> str:
        if status != 200:
            return f"status {status}"
        if headers.get("content-type", "") != "application/pdf":
            return f"content type {headers.get('content-type')!r}"
        if not body.startswith(b"%PDF-") or b"%%EOF" not in body[-64:]:
            return "not a whole PDF"
        found = DOWNLOAD_ID.search(body)
        if found is None:
            return "no download id in the PDF: not watermarked"
        self.ids.append(found.group(1).decode())
        if len(self.samples) < 12 and len(self.ids) % 7 == 1:
            self.samples.append(body)
        return ""


async def _fetch(reader, writer, port: int, path: str) -> tuple[int, dict, bytes]:
    writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Language: en\r\n"
                  "Connection: keep-alive\r\n\r\n").encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(chunk[:-2])
        body = b"".join(parts)
    else:
        raise ValueError("no length")
    return status, headers, body


async def _client(port: int, paths, stats: PathStats, check, stop: threading.Event, index: int) -> None:
    reader = writer = None
    n = index
    while not stop.is_set():
        path = paths[n % len(paths)]
        n += 1
        start = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            status, headers, body = await asyncio.wait_for(_fetch(reader, writer, port, path), 120)
            why = check(status, headers, body)
            if why:
                stats.fail(f"{path.split('/')[1]}: {why}")
            else:
                stats.latencies.append(time.perf_counter() - start)
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader = writer = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            stats.fail(f"{type(exc).__name__}: {exc}"[:200])
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def run_public(port: int, groups: list[tuple[PathStats, list[str], object, int]], stop: threading.Event) -> None:
    """Every group's clients until `stop` is set: (stats, paths to cycle through, check, clients)."""
    async def main() -> None:
        start = time.perf_counter()
        await asyncio.gather(*(_client(port, paths, stats, check, stop, i)
                               for stats, paths, check, clients in groups for i in range(clients)))
        for stats, *_ in groups:
            stats.seconds = time.perf_counter() - start
    asyncio.run(main())


# --- the staff member ---------------------------------------------------------------------------

class _Forms(HTMLParser):
    """The forms of a page as a browser would submit them: inputs, checked boxes, selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}, "buttons": []})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"] if self.forms else {}
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind != "submit":
                fields[a["name"]] = a.get("value") or ""
        elif tag == "button" and a.get("name"):
            self.forms[-1]["buttons"].append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select, self._first_option = a["name"], None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
                fields.setdefault(self._select, self._first_option)
            if "selected" in a:
                fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms_of(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_to(html: str, action_part: str, button: tuple[str, str] | None = None) -> dict:
    for form in forms_of(html):
        if form["action"].split("?")[0].endswith(action_part) and (button is None or button in form["buttons"]):
            return form
    raise AssertionError(f"no form posting to {action_part} {button or ''} on the page")


def library_file(questions: list[str], tag: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ID", "Question", "Answer", "Details", "Category", "Status", "Language"])
    for i, question in enumerate(questions):
        writer.writerow([f"BENCH-{tag}-{i:03d}", question, "Yes.",
                         f"Our answer to {question[:80]} (benchmark import {tag}).", "Benchmark", "approved", "en"])
    return out.getvalue().encode("utf-8")


def questionnaire_file(questions: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["No.", "Question", "Answer", "Comments"])
    for i, question in enumerate(questions, 1):
        writer.writerow([f"Q{i}", question, "", ""])
    return out.getvalue().encode("utf-8")


class Staff:
    """Signs in (if not yet), then repeats: import a library file (upload, preview, confirm), upload a questionnaire,
    ask for matching, follow the job's progress page until the workers are done. At least one cycle, and
    a cycle started before `stop` is finished, so every import and job it began is checked."""

    def __init__(self, base: str, email: str, password: str, library_questions: list[str],
                 questionnaire_questions: list[str], tag: str) -> None:
        self.base, self.email, self.password = base, email, password
        self.library_questions, self.questionnaire_questions, self.tag = library_questions, questionnaire_questions, tag
        self.http = PathStats("staff requests")
        self.imports = PathStats("library import")
        self.matches = PathStats("matching job")
        self.job_uids: list[str] = []
        self.imported_refs: list[str] = []
        self.session = requests.Session()
        self.signed_in = False

    def _call(self, method: str, path: str, expect: tuple[int, ...], **kw) -> requests.Response:
        start = time.perf_counter()
        try:
            resp = self.session.request(method, self.base + path, allow_redirects=False, timeout=120,
                                        headers={"Accept-Language": "en"}, **kw)
        except requests.RequestException as exc:
            self.http.fail(f"{method} {path.split('?')[0][:40]}: {type(exc).__name__}")
            raise _Failed(str(exc)) from exc
        if resp.status_code not in expect:
            self.http.fail(f"{method} {path.split('?')[0][:40]}: status {resp.status_code}")
            raise _Failed(f"{method} {path} answered {resp.status_code}, expected {expect}")
        self.http.latencies.append(time.perf_counter() - start)
        return resp

    @staticmethod
    def _local(location: str) -> str:
        return "/" + location.split("://", 1)[1].split("/", 1)[1] if "://" in location else location

    def sign_in(self) -> None:
        page = self._call("GET", "/login", (200,))
        fields = form_to(page.text, "/login")["fields"]
        fields.update(email=self.email, password=self.password)
        resp = self._call("POST", "/login", (302,), data=fields)
        if "/login" in resp.headers.get("Location", ""):
            raise _Failed("sign-in refused")
        self.signed_in = True

    def import_library(self, cycle: int) -> None:
        tag = f"{self.tag}{cycle:03d}"
        n = len(self.library_questions)
        chosen = [self.library_questions[(cycle * 17 + i) % n] + f" ({tag})" for i in range(min(20, n))]
        start = time.perf_counter()
        page = self._call("GET", "/library/import", (200,))
        fields = form_to(page.text, "/library/import")["fields"]
        fields["default_status"] = "approved"
        resp = self._call("POST", "/library/import", (302,), data=fields,
                          files={"file": (f"library-{tag}.csv", library_file(chosen, tag), "text/csv")})
        preview_path = self._local(resp.headers["Location"])
        preview = self._call("GET", preview_path, (200,))
        form = form_to(preview.text, preview_path, ("action", "confirm"))
        resp = self._call("POST", preview_path, (302,), data={**form["fields"], "action": "confirm"})
        done = self._call("GET", self._local(resp.headers["Location"]), (200,))
        if f"Imported library-{tag}.csv: {len(chosen)} created" not in done.text:
            raise _Failed(f"import {tag}: the library page does not say {len(chosen)} entries were created")
        self.imports.latencies.append(time.perf_counter() - start)
        self.imported_refs += [f"BENCH-{tag}-{i:03d}" for i in range(len(chosen))]

    def match_questionnaire(self, cycle: int) -> None:
        page = self._call("GET", "/questionnaires/new", (200,))
        fields = form_to(page.text, "/questionnaires/new")["fields"]
        fields["customer"] = f"Bench customer {self.tag}{cycle}"
        resp = self._call("POST", "/questionnaires/new", (302,), data=fields,
                          files={"file": (f"questionnaire-{self.tag}{cycle}.csv",
                                          questionnaire_file(self.questionnaire_questions), "text/csv")})
        detection_path = self._local(resp.headers["Location"])
        detection = self._call("GET", detection_path, (200,))
        uid = detection_path.split("/")[2]
        form = form_to(detection.text, f"/questionnaires/{uid}/match")
        start = time.perf_counter()
        resp = self._call("POST", f"/questionnaires/{uid}/match", (302,), data=form["fields"])
        review_path = self._local(resp.headers["Location"])
        job = re.search(r"[?&]job=([0-9a-f]+)", review_path)
        if job is None:
            raise _Failed("matching was not queued as a job")
        deadline = time.monotonic() + 300
        while True:  # the progress page refreshes itself (Refresh header) until the job is done
            resp = self._call("GET", review_path, (200, 302))
            if resp.status_code == 302:
                break
            if "Refresh" not in resp.headers:
                raise _Failed("the progress page does not refresh")
            if time.monotonic() > deadline:
                raise _Failed("matching did not finish within 300 s")
            time.sleep(0.25)
        self.matches.latencies.append(time.perf_counter() - start)
        review = self._call("GET", self._local(resp.headers["Location"]), (200,))
        expected = f"{len(self.questionnaire_questions)} questions matched against the library"
        if expected not in review.text:
            raise _Failed(f"questionnaire {uid}: the review page does not say “{expected}”")
        self.job_uids.append(job.group(1))

    def run(self, stop: threading.Event) -> None:
        start = time.perf_counter()
        cycle = 0
        try:
            if not self.signed_in:
                self.sign_in()
            while True:  # at least one cycle, however short the phase
                try:
                    self.import_library(cycle)
                except _Failed as exc:
                    self.imports.fail(str(exc)[:300])
                try:
                    self.match_questionnaire(cycle)
                except _Failed as exc:
                    self.matches.fail(str(exc)[:300])
                cycle += 1
                if stop.is_set():
                    break
        except _Failed as exc:
            self.imports.fail(f"sign-in: {exc}"[:300])
        except Exception as exc:  # noqa: BLE001 (a bug here must show as a failure, not vanish in a thread)
            self.imports.fail(f"{type(exc).__name__}: {exc}"[:300])
        finally:
            for stats in (self.http, self.imports, self.matches):
                stats.seconds = time.perf_counter() - start


class _Failed(Exception):
    pass
