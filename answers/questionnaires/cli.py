"""`vault autofill`: fill a questionnaire file from the library (a stable contract used by the quality
benchmark)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext


def _explain_detection(questionnaire) -> None:
    """What was left out and why (skipped sheets, rows not read, warnings), on stderr: never silently."""
    for sheet in questionnaire.sheets:
        where = questionnaire.filename if questionnaire.source_format == "csv" else f'sheet "{sheet.name}"'
        if sheet.skipped:
            click.echo(f"{where} skipped: {sheet.skip_reason}", err=True)
        for note in sheet.notes:
            click.echo(f"{where}: {note}", err=True)
    for warning in questionnaire.warnings:
        click.echo(f"warning: {warning}", err=True)


def _check_output_extension(output: Path, questionnaire, input_name: str) -> None:
    """The filled copy is the customer's own file in its own format (a PDF without form fields gets a
    DOCX answer sheet): no other conversion exists, so a name of another format is refused up front."""
    from exporters.filled import output_kind

    ext = output_kind(questionnaire)[0]
    if output.suffix.lower() != f".{ext}":
        raise click.ClickException(f"{output}: the filled copy of {input_name} is a .{ext} file (the format "
                                   f"of the input; no conversion to another format exists): use a .{ext} name")


def _library_index():
    from answers.library.index import app_index
    return app_index()


@click.command("autofill")
@click.argument("input_file", metavar="INPUT", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the filled copy here.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON report here.")
@click.option("--top-k", type=click.IntRange(1, 50), default=5, show_default=True)
@with_appcontext
def autofill_command(input_file: Path, output: Path | None, report_path: Path | None, top_k: int) -> None:
    """Detect the questions in INPUT, match them against the library, and fill what is confident."""
    from answers.autofill import propose_answers, report
    from answers.autofill.fill import filled_copy, write_all
    from exporters import EXPORT_ERRORS
    from importers import load_questionnaire
    from importers.model import ImportErrorWithContext
    from vault import db

    db.require_initialised()
    try:
        questionnaire = load_questionnaire(input_file)
    except ImportErrorWithContext as exc:
        raise click.ClickException(str(exc)) from exc
    if output:
        _check_output_extension(output, questionnaire, input_file.name)
    _explain_detection(questionnaire)
    sess = db.session()
    lib = _library_index()
    index = lib.sync(sess)
    proposals = propose_answers(questionnaire, index, lib.entries(sess), top_k=top_k)
    rep = report(proposals)
    # All or nothing: the filled copy is made in memory, then the copy and the report are written to
    # temporary files and renamed together; a failure leaves neither (a report must never claim
    # answers were filled into a copy that does not exist).
    files: dict[Path, bytes] = {}
    kept: list[str] = []
    written = 0
    if output:
        try:
            data, written = filled_copy(input_file.read_bytes(), questionnaire, proposals, kept=kept)
        except (ImportErrorWithContext, *EXPORT_ERRORS) as exc:
            reason = str(exc) if isinstance(exc, ImportErrorWithContext) else f'"{input_file.name}": {exc}'
            raise click.ClickException(f"{reason} (nothing was written)") from exc
        files[output] = data
    if report_path:
        files[report_path] = json.dumps(rep, ensure_ascii=False, indent=1).encode("utf-8")
    if files:
        try:
            write_all(files)
        except OSError as exc:
            path = Path(exc.filename) if exc.filename else next(iter(files))
            target = next((p for p in files if p.parent == path.parent or p == path), path)
            raise click.ClickException(f"{target}: cannot be written ({exc.strerror or exc}); "
                                       "nothing was written") from exc
    if output:
        if kept:
            shown = ", ".join(kept[:12]) + (f" … (+{len(kept) - 12})" if len(kept) > 12 else "")
            click.echo(f"{len(kept)} answer cells already filled in the file were kept: {shown}", err=True)
        click.echo(f"wrote {written} answers into {output}")
    s = rep["summary"]
    click.echo(f"{input_file.name}: {s['total']} questions: {s['filled']} filled, {s['suggested']} suggested, "
               f"{s['unanswered']} unanswered")
