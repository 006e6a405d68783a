"""Refusals before any work: arguments that cannot work together, and outputs, reports or
an index that would land over or inside what the run reads (exit 2)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from .io.location import LocationError, Place, place, url_fs, within
from .io.naming import HTML_SUFFIXES, output_name
from .io.writers import safe_parts
from .models import Source


class UsageError(Exception):
    """Arguments that cannot work together; the CLI exits with code 2."""


STDIO = Path("-")


def check_paths(inputs: Sequence[Path | str], out: Path | None) -> None:
    if not inputs:
        raise UsageError("no input given")
    if STDIO in inputs and len(inputs) > 1:
        raise UsageError("'-' (JSON Lines on standard input) must be the only input")
    if out == STDIO and inputs != [STDIO]:
        raise UsageError("'-o -' (JSON Lines to standard output) needs '-' as the input")
    if len(inputs) > 1:
        # each input's pages go under a folder named after it (a file: under its output
        # name); two inputs of one name would make the result depend on their order
        # (HTML pages and one other page of their output name are named apart: see discover)
        claims: dict[str, list[tuple[Path | str, bool, bool]]] = {}  # (input, page, HTML)
        for root in inputs:
            if isinstance(root, str):  # a URL: its last part names the folder or the file
                last = root.rstrip("/").rsplit("/", 1)[-1]
                name = last if "." not in last else output_name(last)
                page = "." in last
            else:
                name = root.resolve().name if root.is_dir() else output_name(root.name)
                last, page = root.name, not root.is_dir()
            html = page and Path(last).suffix.lower() in HTML_SUFFIXES
            claims.setdefault(name, []).append((root, page, html))
            mine = claims[name]
            if len(mine) > 1 and (
                sum(not h for _, _, h in mine) > 1 or not all(p for _, p, _ in mine)
            ):
                first = mine[0][0]
                raise UsageError(f"inputs {first} and {root} would both be written as {name}")


INDEX_ENTRY = re.compile(r"^(CURRENT|v\d{6}|\.v\d{6}\.part|\.CURRENT\.part)$")


def _is_folder(where: Place) -> bool:
    """Whether an input is a folder; a URL we cannot look into counts as one."""
    return where.is_dir() if isinstance(where, Path) else True


def check_locations(
    inputs: Sequence[Path | str],
    out: Path | str | None,
    report: Path | None,
    index: Path | None,
    report_html: Path | None = None,
) -> Place | None:
    """Refuse, before any work, a run that would write over or into what it reads. The
    output folder (a path or URL), the reports and the index are compared with every input
    (the files, and the folders they are in) by resolved location: symlinks, ``.`` and
    ``..`` resolved, ``file://`` URLs taken as the paths they name. Returns the output
    folder's resolved location (None for standard output or none).

    A local output folder inside an input folder is allowed (it is skipped while reading);
    an output URL inside an input is not (nothing skips it). The report and the index may
    not be inside an input folder unless in the output folder (the next run would read
    them), and the index may not overlap the output folder (it removes old versions).
    """
    ins = [(root, where, _is_folder(where)) for root in inputs if root != STDIO
           for where in (place(root),)]  # fmt: skip
    out_place = None if out is None or out == STDIO else place(out)
    if out_place is not None:
        for root, where, folder in ins:
            if where == out_place:
                raise UsageError(
                    f"output folder {out} is the input {root}: inputs are never modified"
                )
            if within(where, out_place):
                raise UsageError(
                    f"input {root} is inside the output folder {out}: inputs are never modified"
                )
            if folder and isinstance(out, str) and within(out_place, where):
                raise UsageError(
                    f"output {out} is inside the input {root}, which would read it back"
                )
    reports = (("--report", report), ("--report-html", report_html))
    for option, path in (*reports, ("--index", index)):
        if path is None:
            continue
        where = place(path)
        if out_place is not None and where == out_place:
            raise UsageError(f"{option} {path} is the output folder {out}")
        for root, src, folder in ins:
            if where == src:
                raise UsageError(f"{option} {path} is the input {root}: inputs are never modified")
            if within(src, where):
                raise UsageError(f"{option} {path} is a folder around the input {root}")
            skipped = (
                out_place is not None and not isinstance(out, str) and within(where, out_place)
            )
            if folder and within(where, src) and isinstance(where, Path) and where.is_file():
                raise UsageError(
                    f"{option} {path} is a file of the input {root}: inputs are never modified"
                )
            a_report = option != "--index"
            if folder and within(where, src) and not (a_report and skipped):
                raise UsageError(
                    f"{option} {path} is inside the input folder {root}, where the next run "
                    "would read it: put it elsewhere"
                    + (" or in the output folder" if a_report else "")
                )
    for option, path in reports:
        if path is None:
            continue
        if path.is_dir():
            raise UsageError(f"{option} {path} is a folder: give the report a file name")
        if path.parent.exists() and not path.parent.is_dir():
            raise UsageError(f"{option} {path}: {path.parent} is not a folder")
    if index is not None:
        if index.exists() and not index.is_dir():
            raise UsageError(f"--index {index} is a file: an index is a folder")
        if (
            index.is_dir()
            and not (index / "CURRENT").exists()
            and any(not INDEX_ENTRY.match(entry) for entry in os.listdir(index))
        ):
            raise UsageError(f"--index {index} is a folder of other files, not an index")
    if index is not None and out_place is not None:
        where = place(index)
        if within(where, out_place) or within(out_place, where):
            raise UsageError(f"--index {index} and the output folder {out} overlap")
        for option, path in reports:
            if path is not None and within(place(path), where):
                raise UsageError(f"{option} {path} is inside the --index folder {index}")
    return out_place


def check_output_files(
    sources: Sequence[Source],
    out_place: Path,
    inputs: Sequence[Path | str],
    report: Path | None,
    record_format: str | None,
) -> None:
    """Refuse outputs that a symlinked folder under the output folder would send over an
    input file or into an input folder, and a report that is one of the outputs. Each
    output folder is resolved once."""
    ins = [(root, place(root)) for root in inputs if root != STDIO]
    for prefix in {source.prefix for source in sources}:
        folder = out_place.joinpath(*safe_parts(prefix)).resolve()
        if within(folder, out_place):
            continue  # no link leads out: no input is in there (checked at the start)
        for root, where in ins:
            if within(folder, where) or (
                isinstance(where, Path) and where.parent == folder and not where.is_dir()
            ):
                raise UsageError(
                    f"outputs under {folder} (a link in the output folder) would be written "
                    f"into the input {root}: inputs are never modified"
                )
    if report is not None and within(place(report), out_place):
        rel = place(report).relative_to(out_place).as_posix()  # type: ignore[union-attr]
        folder_rel = rel.rpartition("/")[0]  # only the sources of that folder can land there
        near = {p for p in {s.prefix for s in sources} if "/".join(safe_parts(p)) == folder_rel}
        for source in sources:
            if source.prefix not in near:
                continue
            if "/".join(safe_parts(output_name(source.rel, record_format))) == rel:
                raise UsageError(f"--report {report} is the output of {source.location}")


def check_run(
    inputs: Sequence[Path | str],
    out: Path | None,
    out_url: str | None,
    report: Path | None,
    report_html: Path | None,
    index: Path | None,
    dry_run: bool,
) -> Place | None:
    """Every check that needs no listing of the inputs, in order; returns the output
    folder's resolved location (see :func:`check_locations`)."""
    if out_url is not None and not dry_run:
        try:
            url_fs(out_url)
        except LocationError as exc:
            raise UsageError(f"output {out_url}: {exc}") from None
    check_paths(inputs, out)
    if report is not None and report_html is not None and report.resolve() == report_html.resolve():
        raise UsageError(f"--report and --report-html are both {report}")
    out_place = check_locations(
        inputs, out if out_url is None else out_url, report, index, report_html
    )
    if out is not None and out != STDIO and inputs != [STDIO] and out.exists() and not out.is_dir():
        raise UsageError(f"output {out} exists and is not a folder")
    return out_place
