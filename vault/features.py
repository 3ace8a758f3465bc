"""The parts of the app and what each adds to it: the one list `create_app` and `vault.models` walk.

A part names its blueprints, its `vault` commands, its tables and its providers (modules that register
themselves when imported, e.g. the dates a feature puts on legal's timeline, or the library's answer-uses
hook). A new feature is one package with the usual files (docs/architecture.md) and one entry here.
Written as strings so this list imports nothing until the app is built.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Part:
    name: str
    blueprints: tuple[str, ...] = ()  # "module:attribute"
    commands: tuple[str, ...] = ()  # "module:attribute"
    models: tuple[str, ...] = ()  # modules defining tables
    providers: tuple[str, ...] = ()  # modules imported for what they register


PARTS = (
    # platform parts with pages, commands or tables
    Part("vault.audit", models=("vault.audit",)),
    Part("vault.auth", blueprints=("vault.auth.views:bp",), commands=("vault.auth.cli:users_cli",),
         models=("vault.auth.models",)),
    Part("vault.admin", blueprints=("vault.admin.views:bp",), commands=("vault.admin.cli:audit_cli",)),
    Part("vault.notify", blueprints=("vault.notify.views:bp",), commands=("vault.notify.cli:notify_cli",),
         models=("vault.notify.models",), providers=("vault.notify.jobs",)),
    Part("vault.storage", commands=("vault.storage.cli:keys_cli", "vault.storage.cli:storage_cli"),
         models=("vault.storage.models",)),
    # business events to CRMs, chat and signed webhooks, through the outbox (features call integrations.emit)
    Part("vault.integrations", blueprints=("vault.integrations.views:bp",), models=("vault.integrations.models",)),
    Part("vault.backup", commands=("vault.backup.cli:backup_command", "vault.backup.cli:restore_command")),
    Part("vault.sso", blueprints=("vault.sso.views:bp", "vault.sso.staff:bp"), models=("vault.sso.models",)),
    Part("vault.jobs", commands=("vault.jobs.cli:worker_command", "vault.jobs.cli:jobs_cli"),
         models=("vault.jobs.models",), providers=("vault.jobs.retention",)),  # handlers: each part's providers
    # features
    Part("vault.documents", blueprints=("vault.documents.views:bp",),
         commands=("vault.documents.cli:documents_cli",), models=("vault.documents.models",),
         providers=("vault.documents.obligations",)),
    Part("answers.library", blueprints=("answers.library.views:bp",), commands=("answers.library.cli:library_cli",),
         models=("answers.library.models", "answers.library.index_store", "answers.library.pending"),
         providers=("answers.library.obligations", "answers.library.jobs")),
    Part("vault.trust", blueprints=("vault.trust.views:bp", "vault.trust.staff:bp"), models=("vault.trust.models",)),
    Part("vault.faq", blueprints=("vault.faq.views:bp",)),  # the public FAQ: the library's public answers
    Part("vault.access", blueprints=("vault.access.views:bp", "vault.access.staff:bp"),
         commands=("vault.access.cli:trace_command",), models=("vault.access.models",),
         providers=("vault.access.obligations",)),
    Part("vault.expiry", blueprints=("vault.expiry.views:bp",),
         commands=("vault.expiry.cli:remind_command", "vault.expiry.cli:expiry_cli"), models=("vault.expiry.models",),
         providers=("vault.expiry.metrics", "vault.expiry.scheduler")),  # /metrics dates; the reminders job
    Part("status", blueprints=("status.views:bp", "status.admin_views:bp"), commands=("status.cli:status_cli",),
         models=("status.models",), providers=("status.jobs",)),
    Part("vault.overview", blueprints=("vault.overview.views:bp", "vault.overview.staff:bp"),
         models=("vault.overview.models",)),
    Part("answers.questionnaires", blueprints=("answers.questionnaires.views:bp",),
         commands=("answers.questionnaires.cli:autofill_command",), models=("answers.questionnaires.models",),
         providers=("answers.questionnaires.ledger", "answers.questionnaires.jobs")),
    Part("vault.disclosure", blueprints=("vault.disclosure.views:bp", "vault.disclosure.staff:bp"),
         commands=("vault.disclosure.cli:disclosure_cli",), models=("vault.disclosure.models",)),
    Part("vault.engagement", blueprints=("vault.engagement.views:bp", "vault.engagement.staff:bp"),
         commands=("vault.engagement.cli:engagement_cli",), models=("vault.engagement.models",),
         providers=("vault.engagement.jobs",)),
    Part("vault.advisories", blueprints=("vault.advisories.views:bp", "vault.advisories.staff:bp"),
         models=("vault.advisories.models",)),
    Part("vault.trustreports", blueprints=("vault.trustreports.staff:bp",), models=("vault.trustreports.models",),
         providers=("vault.trustreports.jobs",)),
    # the REST API v1 over the features' services, and personal API tokens (docs/api.md)
    Part("vault.api", blueprints=("vault.api.views:bp", "vault.api.account:bp"),
         commands=("vault.api.cli:api_token_cli",), models=("vault.api.models",)),
)


def _load(ref: str):
    module, _, attribute = ref.partition(":")
    return getattr(import_module(module), attribute)


def import_models() -> None:
    """Every table into Base.metadata (Alembic, tests, `vault init`)."""
    for part in PARTS:
        for module in part.models:
            import_module(module)


def register_all(app) -> None:
    import_models()
    for part in PARTS:
        for module in part.providers:
            import_module(module)
        for ref in part.blueprints:
            app.register_blueprint(_load(ref))
        for ref in part.commands:
            app.cli.add_command(_load(ref))
