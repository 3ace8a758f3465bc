"""`vault library import|export`: the answer library from and to a CSV or XLSX file."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

CLI_ACTOR_LABEL = "cli"
SKIPPED_SHOWN = 20  # per reason: HECVAT as a library repeats ~900 ids, one line each helps nobody


def _explain_skipped(problems, shown: int | None) -> None:
    """Each skipped row on stderr; past `shown` rows for one reason, one line that says how many more."""
    from importers.i18n_marker import render

    by_reason: dict[str, list] = {}
    for problem in problems:
        by_reason.setdefault(problem.template, []).append(problem)
    printed: dict[str, int] = {}
    for problem in problems:
        printed[problem.template] = printed.get(problem.template, 0) + 1
        if shown is None or printed[problem.template] <= shown:
            click.echo(f"skipped {problem}", err=True)
    for template, same in by_reason.items():
        if shown is not None and len(same) > shown:
            reason = render(template, {key: "…" for key in same[0].params})
            click.echo(f"… and {len(same) - shown} more rows skipped because: {reason} "
                       "(--verbose lists every row)", err=True)


def _library_index():
    from answers.library.index import app_index
    return app_index()


@click.group("library", help="The answer library.")
def library_cli() -> None:
    pass


@library_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--status", type=click.Choice(["draft", "approved"]), default="approved",
              help="Status of new entries when the file has no status column.")
@click.option("--verbose", is_flag=True, help="List every skipped row (by default the first 20 per reason).")
@with_appcontext
def import_command(file: Path, dry_run: bool, status: str, verbose: bool) -> None:
    """Import library entries from a CSV or XLSX file (updates entries with the same id)."""
    from answers.library.importing import apply_import, plan_import
    from importers.library import load_library_table
    from importers.model import ImportErrorWithContext
    from vault import db
    from vault.audit import Actor

    db.require_initialised()
    try:
        table = load_library_table(file.read_bytes(), file.name)
    except ImportErrorWithContext as exc:
        raise click.ClickException(str(exc)) from exc
    for sheet, used in table.mapping["sheets"].items():  # what was read, so a wrong column shows
        columns = ", ".join(f"{role} {letter}" for role, letter in used["columns"].items())
        where = file.name if sheet == "csv" and len(table.mapping["sheets"]) == 1 else f'sheet "{sheet}"'
        click.echo(f'{where}: header row {used["header_row"]}, {columns}', err=True)
    for sheet in table.unread:
        click.echo(f'sheet "{sheet}": not read (no table with a question column)', err=True)
    sess = db.session()
    plan = plan_import(sess, table, default_status=status)
    _explain_skipped(plan.problems, None if verbose else SKIPPED_SHOWN)
    s = plan.summary()
    verb = "would create" if dry_run else "created"
    click.echo(f"{file.name}: {verb} {s['create']}, {'would update' if dry_run else 'updated'} {s['update']}, "
               f"unchanged {s['unchanged']}, rows with problems {s['problems']}")
    if s["unanswered"]:
        click.echo(f"{s['unanswered']} new entries have no answer yet: {'would be' if dry_run else 'imported as'} "
                   "drafts, matchable but never used to fill a questionnaire until answered")
    if dry_run:
        return
    apply_import(sess, plan, Actor(label=CLI_ACTOR_LABEL), source_file=file.name)
    changed = s["create"] + s["update"]
    if changed > 500:  # sentence vectors take a few ms per entry: say what the wait is for
        click.echo(f"Updating the matching index for {changed} entries…")
    sess.commit()  # the `library.index` job runs here unless workers take it (VAULT_JOBS_RUN=worker)
    _library_index().sync(sess, progress=(lambda done, total: click.echo(f"  {done} / {total}"))
                          if changed > 500 else None)


@library_cli.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export_command(output: Path) -> None:
    """Write the library to XLSX or CSV (by the output's extension)."""
    from answers.library.export import write_library
    from vault import db

    count = write_library(db.session(), output)
    click.echo(f"wrote {count} entries to {output}")
