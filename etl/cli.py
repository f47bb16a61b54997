"""The `python -m etl` command line: a thin layer that turns errors into one-line messages.

Exit codes: 0 every source loaded; 1 a source failed or the input was bad; 2 usage error;
3 another ETL run holds the lock.
"""

import dataclasses
import datetime as dt
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import pydantic
import sqlalchemy.exc
import typer
from tqdm import tqdm

from etl import export as exporter
from etl import schedule as scheduler
from etl.config import load_sources
from etl.errors import EtlError, RunLockedError
from etl.lock import run_lock
from etl.pipeline import RunReport, ignored_text, new_run_id, run_source, within_size
from etl.pipeline import import_file as pipeline_import
from etl.reference import load_reference
from etl.settings import EtlSettings
from etl.sources import REGISTRY
from etl.sources.base import SourceConfig
from etl.store import Store, display_url, migrate, open_store, reads
from etl.transport import HttpClient

EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 1, 2, 3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Fetch, validate and load displacement figures; report and export them.",
)


def _fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _settings() -> EtlSettings:
    """The settings; a bad value in the environment or .env is one usage error line."""
    try:
        return EtlSettings()
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        raise _fail(f"setting {name}: {first['msg']}", EXIT_USAGE) from exc


def unexpected(exc: Exception) -> str:
    """One line for an error no check foresaw: the input could not be read, and why."""
    detail = str(exc).strip().splitlines()
    return f"cannot be read ({type(exc).__name__}: {detail[0] if detail else 'no detail'})"


def _progress(rows: Iterable) -> Iterable:
    return tqdm(rows, unit=" rows", desc="mapping", disable=not sys.stderr.isatty(), leave=False)


def _note(text: str) -> None:
    # Stage timings on a terminal only: logs and pipes get the summary alone.
    if sys.stderr.isatty():
        typer.echo(f"  {text}", err=True)


def _store(settings: EtlSettings) -> Store:
    return open_store(settings.database_url)


def _store_error(exc: sqlalchemy.exc.SQLAlchemyError) -> str:
    """The database's own words, on one line: "the store: database or disk is full"."""
    orig = getattr(exc, "orig", None)
    words = str(orig if orig is not None else exc).strip().splitlines()
    detail = words[0] if words else type(exc).__name__
    return f"the store: {detail}"


def _print_report(report: RunReport, limit: int = 50) -> None:
    if report.ok:
        typer.echo(report.summary())
    else:
        # A failed run is an error like any other: one line on stderr that starts "error:".
        typer.echo(f"error: {report.summary()}", err=True)
    if report.ignored_columns:
        typer.echo("  ignored columns: " + ignored_text(report.ignored_columns))
    for rejection in report.rejections[:limit]:
        typer.echo(f"  rejected {rejection.describe()}")
    if len(report.rejections) > limit:
        typer.echo(f"  ... and {len(report.rejections) - limit} more (see `etl status`)")


def _check_source(names: list[str]) -> None:
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        known = ", ".join(sorted(REGISTRY))
        raise _fail(f"unknown source {', '.join(unknown)} (known: {known})", EXIT_USAGE)


def _configs(settings: EtlSettings) -> dict[str, SourceConfig]:
    try:
        return load_sources(settings.sources_config, settings.data_dir)
    except EtlError as exc:
        raise _fail(str(exc)) from exc


def _fetch_progress(items: Iterable) -> Iterable:
    return tqdm(items, unit=" responses", desc="fetching", disable=not sys.stderr.isatty())


def _refresh_one(
    store: Store, settings: EtlSettings, cfg: SourceConfig, client: HttpClient, dry_run: bool
) -> RunReport:
    connector = REGISTRY[cfg.name]
    creds = settings.credentials()
    missing = [c for c in connector.credentials if not creds.get(c)]
    if missing:
        names = ", ".join(m.upper() for m in missing)
        report = RunReport(new_run_id(cfg.name), cfg.name, "", status="failed")
        report.message = f"{cfg.name}: needs {names} (environment or .env)"
        return report
    try:
        return run_source(
            store,
            connector,
            within_size(connector.fetch(client, cfg, creds), settings.max_input_bytes()),
            max_rejected_share=settings.max_rejected_share,
            progress=_fetch_progress,
            dry_run=dry_run,
            notes=_note,
        )
    except (MemoryError, sqlalchemy.exc.SQLAlchemyError):
        raise
    except Exception as exc:
        # Whatever a connector could not read fails that source alone; the others still load.
        report = RunReport(new_run_id(cfg.name), cfg.name, "", status="failed")
        report.message = f"{cfg.name}: {unexpected(exc)}"
        return report


@app.command()
def refresh(
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (repeatable).")
    ] = None,
    country: Annotated[
        list[str] | None, typer.Option("--country", help="Only this ISO3 country (repeatable).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only figures from this date on.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fetch and validate; say what would change.")
    ] = False,
) -> None:
    """Load the gazetteer and every enabled source of the config (default: the bundled data)."""
    settings = _settings()
    _check_source(source or [])
    first = _date(since, "--since")
    configs = _configs(settings)
    chosen = [configs[n] for n in source] if source else [c for c in configs.values() if c.enabled]
    chosen = [
        dataclasses.replace(
            c,
            countries=tuple(x.upper() for x in country) if country else c.countries,
            since=first or c.since,
        )
        for c in chosen
    ]
    client = HttpClient(settings.http())
    try:
        with run_lock(settings.lock_file(), settings.database_url):
            store = _store(settings)
            if not dry_run:
                places = load_reference(store, settings.data_dir)
                typer.echo(f"reference: {places} places loaded")
            reports = [_refresh_one(store, settings, c, client, dry_run) for c in chosen]
    except RunLockedError as exc:
        raise _fail(str(exc), EXIT_LOCKED) from exc
    except EtlError as exc:
        raise _fail(str(exc).splitlines()[0]) from exc
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise _fail(_store_error(exc)) from exc
    except MemoryError as exc:
        raise _fail("out of memory while loading a source; see `etl status` for which") from exc
    for report in reports:
        _print_report(report)
    if not all(r.ok for r in reports):
        raise typer.Exit(EXIT_FAILED)


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="A response saved from the source (CSV or JSON).")],
    source: Annotated[str, typer.Option("--source", help="The source the file comes from.")],
    dataset: Annotated[
        str | None, typer.Option(help="Dataset name (default: from the file).")
    ] = None,
) -> None:
    """Validate one saved upstream response and load its figures; list the rows rejected."""
    _check_source([source])
    settings = _settings()
    try:
        with run_lock(settings.lock_file(), settings.database_url):
            report = pipeline_import(
                _store(settings),
                source,
                file,
                dataset=dataset,
                max_rejected_share=settings.max_rejected_share,
                notes=_note,
                max_input_bytes=settings.max_input_bytes(),
            )
    except RunLockedError as exc:
        raise _fail(str(exc), EXIT_LOCKED) from exc
    except EtlError as exc:
        raise _fail(str(exc).splitlines()[0]) from exc
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise _fail(_store_error(exc)) from exc
    except MemoryError as exc:
        raise _fail(
            f"{file.name}: out of memory while loading it; split the file or lower ETL_MAX_INPUT_MB"
        ) from exc
    except Exception as exc:
        raise _fail(f"{file.name}: {unexpected(exc)}") from exc
    _print_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def schedule() -> None:
    """Run refreshes on each enabled source's cron `schedule`, in the foreground."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = _settings()
    configs = _configs(settings)
    client = HttpClient(settings.http())

    def refresh_source(name: str) -> bool:
        with run_lock(settings.lock_file(), settings.database_url):
            report = _refresh_one(_store(settings), settings, configs[name], client, False)
        _print_report(report)
        return report.ok

    try:
        plan = scheduler.jobs(configs)
        for job in plan:
            typer.echo(f"{job.source}: {job.cron}")
        scheduler.run_forever(plan, refresh_source)
    except EtlError as exc:
        raise _fail(str(exc)) from exc
    except KeyboardInterrupt:
        typer.echo("stopped")


@app.command()
def sources() -> None:
    """List the known sources: enabled or not, credentials present, last run."""
    settings = _settings()
    configs = _configs(settings)
    creds = settings.credentials()
    runs = reads.runs(_store(settings).engine, limit=1000)
    for name, connector in sorted(REGISTRY.items()):
        cfg = configs[name]
        missing = [c.upper() for c in connector.credentials if not creds.get(c)]
        keys = (
            "credentials: none needed"
            if not connector.credentials
            else (f"credentials: missing {', '.join(missing)}" if missing else "credentials: set")
        )
        last = runs[runs["source"] == name].head(1)
        when = "never run"
        if not last.empty:
            row = last.iloc[0]
            when = f"last run {row['started_at']:%Y-%m-%d %H:%M} {row['status']}"
        state = "enabled " if cfg.enabled else "disabled"
        countries = ",".join(cfg.countries) or "-"
        typer.echo(f"{name:<12} {state} {countries:<8} {keys}; {when}")
        typer.echo(f"{'':<12} {connector.title}")


@app.command()
def status(
    limit: Annotated[int, typer.Option(help="How many runs to show.")] = 20,
) -> None:
    """Show the last runs: when, which source, what loaded and rejected, and why a run failed."""
    settings = _settings()
    runs = reads.runs(_store(settings).engine, limit=limit)
    if runs.empty:
        typer.echo("no runs yet: try `python -m etl refresh`")
        return
    for run in runs.itertuples(index=False):
        started = run.started_at.strftime("%Y-%m-%d %H:%M:%S") if run.started_at else "?"
        typer.echo(
            f"{started}  {run.source:<10} {run.status:<8} {run.rows_loaded:>8} loaded "
            f"{run.rows_rejected:>6} rejected  {run.dataset or ''}"
        )
        if run.status != "loaded" and run.message:
            typer.echo(f"    {run.message}")


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _fail(f"{option} {value!r}: not an ISO date (YYYY-MM-DD)", EXIT_USAGE) from exc


@app.command()
def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="The CSV file to write.")],
    pcode: Annotated[list[str] | None, typer.Option(help="Only these places.")] = None,
    metric: Annotated[list[str] | None, typer.Option(help="Only these metrics.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only these sources.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="From this date.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Up to this date.")] = None,
    hxl: Annotated[bool, typer.Option("--hxl", help="Add a row of HXL hashtags.")] = False,
) -> None:
    """Write figures as CSV: the same file the dashboard's download button gives."""
    settings = _settings()
    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    frame = reads.figures(
        _store(settings).engine,
        pcodes=pcode or None,
        metrics=metric or None,
        sources=source or None,
        date_from=start,
        date_to=end,
    )
    try:
        output.write_text(exporter.to_csv(frame, hxl=hxl), encoding="utf-8", newline="")
    except OSError as exc:
        raise _fail(f"{output}: {exc.strerror}") from exc
    typer.echo(f"wrote {len(frame)} figures to {output}")


@app.command()
def synth(
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="The HXL CSV to write; the gazetteer goes next to it."),
    ],
    figures: Annotated[int, typer.Option(min=1, help="How many figures.")] = 10_000,
    places: Annotated[int, typer.Option(min=4, help="Admin units, levels 0-3.")] = 350,
    sources: Annotated[int, typer.Option(min=1, help="Publishers that overlap.")] = 4,
    seed: Annotated[int, typer.Option(help="The same seed writes the same files.")] = 0,
    years: Annotated[int, typer.Option(min=1, help="Years of figures from 2019.")] = 5,
) -> None:
    """Write synthetic figures (HXL CSV) with places.csv, place_members.csv, events.csv."""
    from etl.synth import generate, write_synth

    try:
        data = generate(figures, places, sources, seed=seed, years=years)
        written = write_synth(data, output)
    except ValueError as exc:
        raise _fail(str(exc), EXIT_USAGE) from exc
    except OSError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(
        f"wrote {data.figures:,} figures in {len(data.rows):,} rows to {output}; "
        f"{len(data.places):,} places, {len(data.events)} events in {written[1].parent}"
    )


db_app = typer.Typer(
    no_args_is_help=True, help="The store's schema: Alembic migrations, SQLite or PostgreSQL."
)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="The revision to reach.")] = "head",
) -> None:
    """Bring the store's schema (DATABASE_URL) to the latest migration."""
    url = _settings().database_url
    try:
        before = migrate.revision_at(url)
        after = migrate.upgrade(url, revision)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise _fail(str(exc).splitlines()[0]) from exc
    where = f"{display_url(url)}: revision {after}" + (" (head)" if after == migrate.head() else "")
    typer.echo(f"{where}, unchanged" if before == after else f"{where}, was {before or 'empty'}")


@db_app.command("current")
def db_current() -> None:
    """Show the store's schema revision and whether it is the latest."""
    url = _settings().database_url
    try:
        found = migrate.revision_at(url)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise _fail(str(exc).splitlines()[0]) from exc
    head = migrate.head()
    if found == head:
        state = f"{found} (head)"
    else:
        state = f"{found or 'none'} (head is {head}: run `python -m etl db upgrade`)"
    typer.echo(f"{display_url(url)}: revision {state}")


def main() -> None:
    """Run the command line."""
    app()
