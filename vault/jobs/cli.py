"""`vault worker` (run jobs and periodic slots) and `vault jobs list|show|retry|run`."""
from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from vault import audit, db
from vault.jobs import policy, runner, store
from vault.jobs.worker import Worker


def _queues(value: str | None) -> list[str]:
    return [q.strip() for q in (value or "").split(",") if q.strip()]


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Jobs run at once in this process (threads); run more processes for CPU-heavy work.")
@click.option("--once", is_flag=True, help="Enqueue due periodic jobs, run what is due, then exit.")
@click.option("--queues", default="", metavar="Q1,Q2", help="Only these queues (default: all).")
@click.option("--no-scheduler", is_flag=True, help="Do not enqueue periodic jobs from this process.")
@with_appcontext
def worker_command(concurrency: int, once: bool, queues: str, no_scheduler: bool) -> None:
    """Run background jobs until stopped (SIGTERM finishes running jobs first). Any number of workers
    on any number of hosts may share one database: each job runs once at a time."""
    db.require_initialised("jobs")
    worker = Worker(current_app._get_current_object(), concurrency=concurrency, queues=_queues(queues),
                    scheduler=not no_scheduler)
    if once:
        report = worker.run_once()
        click.echo(f"done {report.done}, retrying {report.retrying}, failed {report.failed}")
        sys.exit(1 if report.failed else 0)
    click.echo(f"worker {runner.worker_name()}: {concurrency} at a time, queues {queues or 'all'}, "
               f"kinds {', '.join(sorted(policy.HANDLERS)) or 'none'}")
    worker.run_forever()


jobs_cli = click.Group("jobs", help="Background jobs: list, show, retry, run.")


@jobs_cli.command("list")
@click.option("--status", type=click.Choice(policy.STATUSES), default=None)
@click.option("--kind", default=None)
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def list_command(status: str | None, kind: str | None, limit: int) -> None:
    """Recent jobs, newest first."""
    rows = store.list_jobs(db.session(), status=status, kind=kind, limit=limit)
    if not rows:
        click.echo("No jobs.")
        return
    for job in rows:
        progress = f"{job.progress_done}/{job.progress_total}" if job.progress_total else "-"
        first_error = (job.error or "").splitlines()[0][:120] if job.error else ""
        click.echo(f"{job.uid}\t{job.kind}\t{job.status}\tattempts {job.attempts}/{job.max_attempts}\t"
                   f"{progress}\t{job.created_at:%Y-%m-%d %H:%M:%S}Z\t{first_error}")


def _job_or_fail(uid: str):
    job = store.get(db.session(), uid)
    if job is None:
        raise click.ClickException(f"no job {uid}")
    return job


@jobs_cli.command("show")
@click.argument("uid")
@with_appcontext
def show_command(uid: str) -> None:
    """Everything about one job (payload, progress, result, the last error)."""
    job = _job_or_fail(uid)
    fields = ["uid", "kind", "queue", "status", "key", "attempts", "max_attempts", "run_after", "worker",
              "lease_until", "progress_done", "progress_total", "message", "request_id", "created_at",
              "started_at", "finished_at"]
    for name in fields:
        click.echo(f"{name}: {getattr(job, name)}")
    click.echo(f"payload: {json.dumps(job.payload, ensure_ascii=False, sort_keys=True)}")
    click.echo(f"result: {json.dumps(job.result, ensure_ascii=False, sort_keys=True)}")
    if job.error:
        click.echo("error:\n" + job.error)


@jobs_cli.command("retry")
@click.argument("uid")
@with_appcontext
def retry_command(uid: str) -> None:
    """Put a failed or dead job back in the queue (attempts start again). Audited."""
    from vault.auth.cli import cli_actor
    sess = db.session()
    job = _job_or_fail(uid)
    try:
        store.retry(sess, job)
    except store.JobError as exc:
        sess.rollback()
        raise click.ClickException(str(exc)) from exc
    audit.record(sess, "jobs.retry", by=cli_actor(), object_type="job", object_id=job.uid,
                 detail={"kind": job.kind})
    sess.commit()
    click.echo(f"job {job.uid} queued again")


@jobs_cli.command("run")
@click.option("--limit", type=click.IntRange(min=1), default=None)
@with_appcontext
def run_command(limit: int | None) -> None:
    """Run the jobs that are due now in this process, then exit (no periodic scheduling)."""
    report = runner.run_pending(current_app._get_current_object(), limit=limit)
    click.echo(f"done {report.done}, retrying {report.retrying}, failed {report.failed}")
    sys.exit(1 if report.failed else 0)
