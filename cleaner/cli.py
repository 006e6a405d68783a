"""The ``clean`` command.

Its annotations are evaluated when it is defined (no ``from __future__ import
annotations``): typer reads the command's options from them at every start, and from
strings it compiles and evaluates each one twice, 5 ms of a small run.
"""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from . import __version__
from .config import Config

if TYPE_CHECKING:
    from .failon import FailRule
    from .runner import Outcome

EXIT_OK = 0
EXIT_ERROR = 1  # unexpected failure
EXIT_USAGE = 2
EXIT_UNREADABLE = 3  # some files could not be read; the rest were processed
EXIT_FAIL_ON = 4  # a --fail-on rule was met
EXIT_INTERRUPTED = 130

EPILOG = (
    "Exit codes: 0 done; 1 unexpected error; 2 usage error; 3 some files could not be "
    "read (the rest were cleaned); 4 a --fail-on rule was met (takes precedence over 3); "
    "130 interrupted."
)

_DEFAULTS = Config()
app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cleaner {__version__}")
        raise typer.Exit()


def _progress_callback(console: Any) -> tuple[Any, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def tick(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return bar, tick


def _console(stderr: bool = False) -> Any:
    """A plain-text console on standard output (or error) that goes quiet when its reader
    has gone (``clean ... | head -n1``); rich's own console exits with 1 then. Plain text:
    no markup (``[bold]``) and no emoji codes (``:smile:``) are read in what is printed."""
    from rich.console import Console

    from .io.stdio import stdout_gone

    class PlainConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True  # nothing more is printed
            stdout_gone(sys.stderr if stderr else sys.stdout)

    return PlainConsole(stderr=stderr, highlight=False, soft_wrap=stderr, markup=False, emoji=False)


class _Messages:
    """Standard error's console, made at the first message: a quiet run that prints
    nothing does not load rich (30 ms)."""

    def __init__(self) -> None:
        self._console: Any = None

    @property
    def console(self) -> Any:
        if self._console is None:
            self._console = _console(stderr=True)
        return self._console

    def print(self, *args: Any, **kwargs: Any) -> None:
        self.console.print(*args, **kwargs)


@app.command(epilog=EPILOG, no_args_is_help=True)
def clean(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Folders (walked recursively) or files: .txt/.md pages rendered to text, "
            ".html/.htm pages, record files; '-' for JSON Lines on stdin; or URLs read "
            "through fsspec (s3://bucket/crawl/, gs://..., file://...).",
            show_default=False,
        ),
    ],
    output: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
        typer.Option(
            "--output",
            "-o",
            help="Folder for the cleaned pages, at the same relative paths (.html becomes "
            ".txt); '-' for JSON Lines on stdout; or a URL (s3://bucket/clean/), where the "
            "outputs are uploaded when the run has succeeded.",
        ),
    ] = None,
    report: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Write the full JSON report (schema 1) here."),
    ] = None,
    report_html: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--report-html",
            help="Write a self-contained HTML report here: the summary, the template "
            "groups and a sample of pages with every line's decision, to open in a browser.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            "--check",
            help="Analyse and report without writing pages; prints a short key=value summary.",
        ),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            help="Worker processes (0: one per core; at most one per usable core).",
            min=0,
        ),
    ] = 0,
    fail_on: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--fail-on",
            help="NAME=LIMIT: exit 4 when NAME exceeds LIMIT. Names: template-ratio, "
            "dropped-ratio, duplicate-docs, unreadable, empty. Repeatable.",
        ),
    ] = None,
    lang: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Force the stoplist language: a code py3langid or jusText knows (ISO 639-1 "
            "where one exists, e.g. en, fr; any case) or a jusText stoplist name (e.g. "
            "English); a language without a stoplist (e.g. zh) skips the stopword test; "
            "default: detect per page."
        ),
    ] = None,
    min_files: Annotated[
        int,
        typer.Option(
            help="Files a repeated line must span (at least) to count as template.", min=2
        ),
    ] = _DEFAULTS.min_files,
    similarity: Annotated[
        float,
        typer.Option(
            help="Jaccard similarity at which two lines are near-duplicates.", min=0.01, max=1.0
        ),
    ] = _DEFAULTS.similarity_threshold,
    text_key: Annotated[
        str, typer.Option(help="JSONL/Parquet field holding the page text.")
    ] = "text",
    id_key: Annotated[str, typer.Option(help="JSONL/Parquet field holding the record id.")] = "id",
    html_key: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="JSONL/Parquet field holding HTML to extract instead of text."),
    ] = None,
    extractor: Annotated[
        str,
        typer.Option(
            help="What extracts HTML pages (files, --html-key fields, WARC): trafilatura "
            "(more precise) or resiliparse (several times faster, for large crawls); "
            "cross-file, markup and date rules run on either's text. The report's config "
            "says which ran."
        ),
    ] = _DEFAULTS.extractor,
    output_format: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Write record files as jsonl or parquet (default: the input's kind; "
            "WARC becomes jsonl)."
        ),
    ] = None,
    dedup_docs: Annotated[
        str,
        typer.Option(
            help="Near-duplicate documents: flag (report them, mark records), drop (keep one "
            "representative per cluster), off."
        ),
    ] = "flag",
    doc_similarity: Annotated[
        float,
        typer.Option(
            help="Jaccard similarity of word 5-grams at which documents are near-duplicates.",
            min=0.01,
            max=1.0,
        ),
    ] = _DEFAULTS.doc_threshold,
    engine: Annotated[
        str,
        typer.Option(
            help="local: a process pool on this machine; ray: Ray tasks (pip install "
            "'cleaner[ray]'), on the cluster at --address or RAY_ADDRESS, else a local runtime."
        ),
    ] = "local",
    address: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Ray cluster address (with --engine ray)."),
    ] = None,
    index: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            help="Line index of earlier runs (a folder): this batch is judged against "
            "everything seen before (lines and, for --dedup-docs, documents: a copy of an "
            "earlier page is flagged or dropped), and the index is updated atomically at the "
            "end. Checked against its manifest first: a damaged index exits 2."
        ),
    ] = None,
    work_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Folder for intermediate shard files (default: system temp)."),
    ] = None,
    top: Annotated[
        int, typer.Option(help="Rows shown in the terminal tables (at most 1000 files).", min=0)
    ] = 10,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no terminal report.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Keep the article body of each page; drop template lines repeated across files, markup,
    date stamps, headline lists and other boilerplate.

    Example: clean seeds/ -o out/ --report out/report.json
    """
    from .checks import UsageError
    from .engines import WorkerDied
    from .engines.ray import RayUnavailable
    from .index import IndexUnusable
    from .io.location import is_url
    from .io.records import RecordKeys
    from .report.names import terminal_text
    from .runner import clean_corpus

    err = _Messages()  # every text that can come from the input: terminal_text
    if output is None and not dry_run:
        err.print("error: give an output folder with -o OUT, or --dry-run to only report")
        raise typer.Exit(EXIT_USAGE)
    rules, config = _settings(
        err,
        fail_on,
        language=lang,
        min_files=min_files,
        similarity_threshold=similarity,
        dedup_docs=dedup_docs,
        output_format=output_format,
        doc_threshold=doc_similarity,
        extractor=extractor,
    )
    if engine not in ("local", "ray"):
        err.print(f"error: unknown engine {terminal_text(repr(engine))} (choose local or ray)")
        raise typer.Exit(EXIT_USAGE)
    jobs = _jobs(err, engine, jobs)

    show_progress = not quiet and sys.stderr.isatty()
    bar, tick = _progress_callback(err.console) if show_progress else (None, None)
    try:
        if bar is not None:
            bar.start()
        try:
            outcome = clean_corpus(
                [x if is_url(x) else Path(x) for x in inputs],
                None if output is None else output if is_url(output) else Path(output),
                dry_run=dry_run,
                config=config,
                jobs=jobs,
                report=report,
                report_html=report_html,
                work_dir=work_dir,
                progress=tick,
                record_keys=RecordKeys(text=text_key, id=id_key, html=html_key),
                index=index,
                engine=engine,
                address=address,
                list_groups=0 if quiet or dry_run else top,  # the groups the terminal shows
                quiet=quiet,
            )
        finally:
            if bar is not None:
                bar.stop()
    except (UsageError, IndexUnusable, RayUnavailable) as exc:
        err.print(f"error: {terminal_text(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:
        err.print("interrupted: finished files are complete; run again to finish the rest")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except WorkerDied as exc:
        err.print(f"error: {terminal_text(str(exc))}; run again to finish the rest")
        raise typer.Exit(EXIT_ERROR) from None
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        message = terminal_text(f"{exc.strerror or exc}{where}")
        err.print(f"error: {message}; files written so far are complete")
        raise typer.Exit(EXIT_ERROR) from None
    _finish(err, outcome, rules, output, dry_run, quiet, top)


def _settings(
    err: _Messages, fail_on: list[str] | None, **options: Any
) -> "tuple[list[FailRule], Config]":
    """The ``--fail-on`` rules and the run's Config from the options (exit 2 when one is
    wrong), with a warning for each rule the settings leave nothing to measure."""
    from .failon import FailRule, unmeasured
    from .report.names import terminal_text

    try:
        rules = [FailRule.parse(r) for r in fail_on or []]
        config = Config(**options)
    except ValueError as exc:
        err.print(f"error: {terminal_text(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    for warning in unmeasured(rules, config.dedup_docs):
        err.print(f"warning: {warning}")
    return rules, config


def _jobs(err: _Messages, engine: str, jobs: int) -> int:
    """The worker processes to run: ``jobs`` (0: one per usable CPU), lowered to the CPUs
    this run may use for the local engine."""
    from .engines.local import default_jobs

    usable = default_jobs()
    if engine == "local" and jobs > usable:  # more workers than CPUs only add memory
        err.print(f"warning: --jobs {jobs} lowered to {usable}, the CPUs this run may use")
        jobs = usable
    return jobs or usable


def _finish(
    err: _Messages,
    outcome: "Outcome",
    rules: "list[FailRule]",
    output: str | None,
    dry_run: bool,
    quiet: bool,
    top: int,
) -> None:
    """Print the notices, errors and report of a finished run, and exit with the code
    its ``--fail-on`` rules and unreadable files call for."""
    from .report.names import terminal_text

    summary = outcome.summary
    for notice in outcome.notices:
        err.print(f"note: {terminal_text(notice)}")
    for path, message in summary.errors:
        err.print(f"error: {terminal_text(path)}: {terminal_text(message)}")
    try:
        if dry_run and not quiet:
            from .report.terminal import render_short

            render_short(summary, err.console if output == "-" else _console())
        elif not quiet:
            from .report.terminal import render

            render(summary, err.console if output == "-" else _console(), top=top)
        sys.stdout.flush()
    except BrokenPipeError:  # clean ... | head -n1: the reader has what it wanted
        from .io.stdio import stdout_gone

        stdout_gone()
    broken = [msg for rule in rules if (msg := rule.broken(summary.totals))]
    for msg in broken:
        err.print(f"fail-on: {msg}")
    if broken:
        raise typer.Exit(EXIT_FAIL_ON)
    if summary.errors:
        raise typer.Exit(EXIT_UNREADABLE)


def _install_signal_handlers() -> None:
    """SIGTERM stops a run like Ctrl-C: KeyboardInterrupt unwinds it, temporary files are
    removed on the way out. Worker processes forked from this one inherit the handlers and
    tell themselves apart by their pid: they ignore Ctrl-C (the terminal sends it to the
    whole process group; the main process stops them) and leave quietly on SIGTERM (how a
    pool stops its workers), removing the temporary file they were writing."""
    import signal

    main_pid = os.getpid()

    def on_signal(signum: int, frame: object) -> None:
        if os.getpid() == main_pid:
            raise KeyboardInterrupt
        if signum == signal.SIGTERM:
            raise SystemExit(128 + signum)  # unwinds without a traceback

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


def _quiet_from_now() -> None:
    """An interrupted run has said so; while the interpreter shuts down, a thread of the
    stopped worker pool may still fail to write to the pool's closed pipes. Its message
    (a traceback) goes nowhere."""
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def main() -> None:
    # No step multiplies matrices, but numpy's OpenBLAS starts a thread per core when
    # numpy is imported: 50-70 ms of CPU in every run (a user's own setting is kept).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _install_signal_handlers()
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        _quiet_from_now()
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:
            _quiet_from_now()
        raise
