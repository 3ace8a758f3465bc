"""The API's shapes (pydantic v2): what the views answer and accept, and what the OpenAPI document shows."""
from __future__ import annotations

from datetime import date, datetime

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from spectree.model_adapter.pydantic_adapter import BaseFile

from vault.api.pagination import MAX_LIMIT
from vault.documents.validation import DESCRIPTION_MAX, TITLE_MAX

UID = Field(min_length=1, max_length=64)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PageQuery(Strict):
    cursor: str | None = Field(None, max_length=2000, description="The `next_cursor` of the previous page.")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


# --- documents ----------------------------------------------------------------------------------

class DocumentText(BaseModel):
    title: str
    description: str


class Version(BaseModel):
    id: str
    number: int
    filename: str
    media_type: str
    size: int
    sha256: str
    page_count: int | None
    uploaded_at: datetime
    uploaded_by: str | None
    effective_date: date | None
    expiry_date: date | None
    audit_period_start: date | None
    audit_period_end: date | None
    issuer: str
    notes: str
    withdrawn_at: datetime | None
    withdrawal_reason: str


class ExpiryStatus(BaseModel):
    kind: str
    days_left: int | None = None


class Document(BaseModel):
    id: str
    type: str
    visibility: str
    texts: dict[str, DocumentText]
    frameworks: list[str]
    owner: str | None
    created_at: datetime
    updated_at: datetime
    status: ExpiryStatus
    current_version: str | None
    pinned_version: str | None


class DocumentDetail(Document):
    versions: list[Version]


class DocumentQuery(PageQuery):
    type: str | None = Field(None, max_length=32)
    framework: str | None = Field(None, max_length=200)
    visibility: str | None = Field(None, max_length=16)
    status: str | None = Field(None, max_length=16)


class DocumentList(BaseModel):
    items: list[Document]
    next_cursor: str | None


class VersionList(BaseModel):
    items: list[Version]
    next_cursor: str | None


class DocumentTextIn(Strict):
    """Left out: kept. An empty title and description remove the language."""
    title: str | None = Field(None, max_length=TITLE_MAX, description="One line.")
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)


class DocumentTextsIn(Strict):
    """The languages to change; a language left out keeps its text."""
    en: DocumentTextIn | None = None
    zh: DocumentTextIn | None = None


class DocumentFieldsIn(Strict):
    """The fields to change (as on the staff page's edit form); a field left out keeps its value."""
    type: str | None = Field(None, max_length=32, description="policy, certificate, audit_report, …")
    visibility: str | None = Field(None, max_length=16, description="public, nda or internal")
    texts: DocumentTextsIn | None = None
    frameworks: list[Annotated[str, Field(max_length=200)]] | None = Field(
        None, max_length=100, description="Known framework codes and custom names: the whole list.")


class VersionUpload(BaseModel):
    """multipart/form-data: the file and its dates (ISO 8601)."""
    file: BaseFile
    effective_date: date | None = None
    expiry_date: date | None = None
    audit_period_start: date | None = None
    audit_period_end: date | None = None
    issuer: str = Field("", max_length=200)
    notes: str = Field("", max_length=5000)


# --- access -------------------------------------------------------------------------------------

class AccessRequest(BaseModel):
    id: str
    name: str
    email: str
    company: str
    domain: str
    reason: str
    language: str
    status: str
    rule: str
    documents: list[str]
    created_at: datetime
    confirmed_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str
    nda_on_file: bool


class RequestQuery(PageQuery):
    status: str | None = Field(None, max_length=16)


class RequestList(BaseModel):
    items: list[AccessRequest]
    next_cursor: str | None


class Approve(Strict):
    documents: list[str] = Field(default_factory=list, max_length=200,
                                 description="Document ids to grant; empty: the documents asked for.")
    days: int = Field(0, ge=0, le=3650, description="How long the access lasts; 0: the trust center's default.")


class Reason(Strict):
    reason: str = Field("", max_length=2000)


class Grant(BaseModel):
    id: str
    email: str
    domain: str
    request: str | None
    documents: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoke_reason: str
    active: bool


class GrantQuery(PageQuery):
    active: bool = True


class GrantList(BaseModel):
    items: list[Grant]
    next_cursor: str | None


class Decision(BaseModel):
    request: AccessRequest
    grant: Grant | None = None


# --- library ------------------------------------------------------------------------------------

class Entry(BaseModel):
    id: str
    ref: str
    question: str
    alternatives: list[str]
    answer_short: str
    answer_full: str
    category: str
    tags: list[str]
    framework_refs: list[str]
    status: str
    language: str
    public: bool
    last_reviewed_on: date | None
    review_interval_days: int
    revision: int
    created_at: datetime
    updated_at: datetime


class EntryQuery(PageQuery):
    q: str = Field("", max_length=500, description="Words in the question, answers or reference id.")
    category: str = Field("", max_length=200)
    tag: str = Field("", max_length=200)
    status: str = Field("", max_length=16)
    language: str = Field("", max_length=8)


class EntryList(BaseModel):
    items: list[Entry]
    next_cursor: str | None


class EntryFields(Strict):
    ref: str | None = Field(None, max_length=100)
    question: str | None = Field(None, max_length=20000)
    alternatives: list[str] | None = Field(None, max_length=100)
    answer_short: str | None = Field(None, max_length=200)
    answer_full: str | None = Field(None, max_length=50000)
    category: str | None = Field(None, max_length=200)
    tags: list[str] | None = Field(None, max_length=100)
    framework_refs: list[str] | None = Field(None, max_length=100)
    status: str | None = Field(None, max_length=16)
    language: str | None = Field(None, max_length=8)
    public: bool | None = None
    review_interval_days: int | None = Field(None, ge=1, le=3650)


class EntryCreate(EntryFields):
    question: str = Field(min_length=1, max_length=20000)


class Revision(BaseModel):
    number: int
    changed_at: datetime
    changed_by: str
    changed_fields: list[str]
    note: str
    snapshot: dict


class RevisionList(BaseModel):
    items: list[Revision]
    next_cursor: str | None


# --- questionnaires -----------------------------------------------------------------------------

class QuestionnaireOut(BaseModel):
    id: str
    customer: str
    filename: str
    format: str
    state: str
    question_count: int
    progress: dict[str, int]
    created_at: datetime
    matched_at: datetime | None
    exported_at: datetime | None


class QuestionnaireQuery(PageQuery):
    customer: str = Field("", max_length=200)


class QuestionnaireList(BaseModel):
    items: list[QuestionnaireOut]
    next_cursor: str | None


class QuestionnaireUpload(BaseModel):
    """multipart/form-data: the customer's file (xlsx, csv, docx, pdf …) and the customer's name."""
    file: BaseFile
    customer: str = Field(min_length=1, max_length=200)


class MatchQuery(Strict):
    again: bool = False


class MatchJob(BaseModel):
    """A background job (vault.jobs): matching runs outside the request."""
    id: str
    status: str
    progress_done: int
    progress_total: int
    message: str
    error: str | None
    result: dict | None
    created_at: datetime
    finished_at: datetime | None


class ReportCandidate(BaseModel):
    entry: str
    score: float


class ReportRow(BaseModel):
    sheet: str | None
    row: int | None
    question_cell: str | None
    answer_cell: str | None
    question_id: str | None
    question: str
    status: str
    answer: str | None
    confidence: float
    candidates: list[ReportCandidate]
    flags: list[str]
    reason: str


class ReportSummary(BaseModel):
    total: int
    filled: int
    suggested: int
    unanswered: int


class MatchReport(BaseModel):
    """The `vault autofill --report` JSON."""
    questions: list[ReportRow]
    summary: ReportSummary


class ExportQuery(Strict):
    include_suggested: bool = False


# --- subprocessors and status -------------------------------------------------------------------

class SubprocessorOut(BaseModel):
    id: str
    name: str
    purpose_en: str
    purpose_zh: str
    data_categories: str
    data_categories_zh: str
    location: str
    location_zh: str
    website: str
    effective_from: date | None
    removed_on: date | None
    position: int = Field(description="The display order on the trust page (ascending).")
    updated_at: datetime


class SubprocessorList(BaseModel):
    items: list[SubprocessorOut]
    next_cursor: str | None


class IncidentOut(BaseModel):
    """Atlassian Statuspage's incident shape (as /api/v2 serves it), plus our `draft` flag."""
    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    status: str
    impact: str
    created_at: str | None
    updated_at: str | None
    resolved_at: str | None
    incident_updates: list[dict]
    components: list[dict]


class IncidentQuery(PageQuery):
    lang: str = Field("en", pattern="^(en|zh)$")
    unresolved: bool = False


class IncidentList(BaseModel):
    items: list[IncidentOut]
    next_cursor: str | None
