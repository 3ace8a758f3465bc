"""Components, their recorded state changes, incidents and maintenance, subscribers and push tokens.

State and status names are Atlassian Statuspage's, so the JSON API needs no mapping.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.db import Base, UTCDateTime, utcnow


def new_uid() -> str:
    return secrets.token_hex(8)


class State(StrEnum):
    OPERATIONAL = "operational"
    DEGRADED = "degraded_performance"
    PARTIAL = "partial_outage"
    MAJOR = "major_outage"
    MAINTENANCE = "under_maintenance"


# Worse states rank higher; maintenance sits between degraded and outages for "at a glance".
SEVERITY = {State.OPERATIONAL: 0, State.MAINTENANCE: 1, State.DEGRADED: 2, State.PARTIAL: 3, State.MAJOR: 4}


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
    MAINTENANCE = "maintenance"


class IncidentStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    # maintenance
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"


INCIDENT_STATUSES = (IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING,
                     IncidentStatus.RESOLVED)
MAINTENANCE_STATUSES = (IncidentStatus.SCHEDULED, IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING,
                        IncidentStatus.COMPLETED)
CLOSED = frozenset({IncidentStatus.RESOLVED, IncidentStatus.COMPLETED})


class ComponentGroup(Base):
    __tablename__ = "status_component_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(16), unique=True, default=new_uid)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    components: Mapped[list[Component]] = relationship(back_populates="group", order_by="Component.position")

    def name(self, lang: str) -> str:
        return (self.name_zh if lang == "zh" else self.name_en) or self.name_en or self.name_zh


class Component(Base):
    __tablename__ = "status_components"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(16), unique=True, default=new_uid)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # stable slug monitoring systems use
    group_id: Mapped[int | None] = mapped_column(ForeignKey("status_component_groups.id"), nullable=True,
                                                 index=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(32), default=State.OPERATIONAL.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    group: Mapped[ComponentGroup | None] = relationship(back_populates="components")

    def name(self, lang: str) -> str:
        return (self.name_zh if lang == "zh" else self.name_en) or self.name_en or self.name_zh


class StateChange(Base):
    """One row per state change: the only source of uptime history."""

    __tablename__ = "status_state_changes"
    __table_args__ = (Index("ix_status_state_changes_component_at", "component_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("status_components.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(32), default="staff")  # staff, push, incident, maintenance
    actor: Mapped[str] = mapped_column(String(320), default="")


incident_components = Table(
    "status_incident_components", Base.metadata,
    Column("incident_id", ForeignKey("status_incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("component_id", ForeignKey("status_components.id", ondelete="CASCADE"), primary_key=True),
)


class Incident(Base):
    """An incident or (kind="maintenance") a scheduled maintenance, with its timeline of updates."""

    __tablename__ = "status_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(16), unique=True, default=new_uid)
    kind: Mapped[str] = mapped_column(String(16), default="incident", index=True)
    title_en: Mapped[str] = mapped_column(String(300), default="")
    title_zh: Mapped[str] = mapped_column(String(300), default="")
    impact: Mapped[str] = mapped_column(String(16), default=Impact.MINOR.value)
    status: Mapped[str] = mapped_column(String(16), index=True)
    draft: Mapped[bool] = mapped_column(Boolean, default=False, index=True)  # opened by monitoring, not public
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The promise made in the newest update, and the promise we already reminded staff about.
    next_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reminded_for: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Maintenance window; auto=True lets `run_maintenance` start and end it.
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    scheduled_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    auto_transition: Mapped[bool] = mapped_column(Boolean, default=True)
    # Post-incident report (Markdown, sanitised when rendered) and the vault document keeping it.
    report_root_cause: Mapped[str] = mapped_column(Text, default="")
    report_actions: Mapped[str] = mapped_column(Text, default="")
    report_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    report_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    source_key: Mapped[str] = mapped_column(String(200), default="")  # push dedupe: "push:<component>"

    components: Mapped[list[Component]] = relationship(secondary=incident_components, order_by="Component.position")
    updates: Mapped[list[IncidentUpdate]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentUpdate.created_at.desc()")

    @property
    def is_maintenance(self) -> bool:
        return self.kind == "maintenance"

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def title(self, lang: str) -> str:
        return (self.title_zh if lang == "zh" else self.title_en) or self.title_en or self.title_zh


class IncidentUpdate(Base):
    __tablename__ = "status_incident_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(16), unique=True, default=new_uid)
    incident_id: Mapped[int] = mapped_column(ForeignKey("status_incidents.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    body_en: Mapped[str] = mapped_column(Text, default="")
    body_zh: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    notified: Mapped[bool] = mapped_column(Boolean, default=True)  # staff's choice per update
    author: Mapped[str] = mapped_column(String(320), default="")
    # [{"code": uid, "name": ..., "old_status": ..., "new_status": ...}] like Statuspage's affected_components
    affected: Mapped[list] = mapped_column(JSON, default=list)

    incident: Mapped[Incident] = relationship(back_populates="updates")

    def body(self, lang: str) -> str:
        return (self.body_zh if lang == "zh" else self.body_en) or self.body_en or self.body_zh


subscriber_components = Table(
    "status_subscriber_components", Base.metadata,
    Column("subscriber_id", ForeignKey("status_subscribers.id", ondelete="CASCADE"), primary_key=True),
    Column("component_id", ForeignKey("status_components.id", ondelete="CASCADE"), primary_key=True),
)


class Subscriber(Base):
    """Email (double opt-in) or webhook/chat subscriber, to everything or to some components."""

    __tablename__ = "status_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(16), unique=True, default=new_uid)
    channel: Mapped[str] = mapped_column(String(16))  # email, webhook, slack, teams, dingtalk, feishu, wecom
    target: Mapped[str] = mapped_column(String(2000))  # address or URL
    secret: Mapped[str] = mapped_column(String(128), default="")  # HMAC key for the generic webhook
    locale: Mapped[str] = mapped_column(String(8), default="en")
    all_components: Mapped[bool] = mapped_column(Boolean, default=True)
    confirm_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    confirm_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    components: Mapped[list[Component]] = relationship(secondary=subscriber_components)


push_token_components = Table(
    "status_push_token_components", Base.metadata,
    Column("token_id", ForeignKey("status_push_tokens.id", ondelete="CASCADE"), primary_key=True),
    Column("component_id", ForeignKey("status_components.id", ondelete="CASCADE"), primary_key=True),
)


class PushToken(Base):
    """A monitoring system's credential: stored as SHA-256 only, scoped to components, revocable."""

    __tablename__ = "status_push_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(16), unique=True, default=new_uid)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists so staff can tell tokens apart
    all_components: Mapped[bool] = mapped_column(Boolean, default=False)
    may_open_incidents: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    components: Mapped[list[Component]] = relationship(secondary=push_token_components)


class StatusVersion(Base):
    """One row whose counter rises on every public change: the cache key of rendered pages and JSON."""

    __tablename__ = "status_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
