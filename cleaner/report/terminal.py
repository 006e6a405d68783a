"""The report in the terminal: rich tables, or a grep-able ``key=value`` summary."""

from __future__ import annotations

from typing import Any

from ..models import Reason
from .builder import Summary
from .names import terminal_text


def render(summary: Summary, console: Any, top: int = 10) -> None:
    """Print the dedup report with rich. Text from the input (group texts, page names,
    languages, errors) goes in as :class:`rich.text.Text` of :func:`terminal_text`: shown
    as it is, never read as markup (``[bold]``), emoji codes or terminal controls."""
    from rich.table import Table
    from rich.text import Text

    def plain(text: str) -> Text:
        return Text(terminal_text(text))

    t = summary.totals
    head = Table(title="cleaner report", show_header=False, box=None, pad_edge=False)
    head.add_column(style="bold")
    head.add_column(justify="right")
    head.add_row("files", f"{t['files']:,}")
    head.add_row("  could not be read", f"{t['files_failed']:,}")
    head.add_row("  nothing kept", f"{t['files_empty']:,}")
    head.add_row("lines read", f"{t['lines']:,}")
    head.add_row("  kept", f"{t['kept']:,}")
    head.add_row("  dropped", f"{t['dropped']:,}")
    for reason, count in sorted(t["by_reason"].items(), key=lambda kv: (-kv[1], kv[0])):
        if reason != Reason.BODY.value:
            head.add_row(plain(f"    {reason}"), f"{count:,}")
    head.add_row("template ratio", f"{t['template_ratio']:.1%}")
    head.add_row("cross-file groups", f"{t['groups']:,} ({t['template_groups']:,} template)")
    head.add_row("duplicate documents", f"{t['duplicate_docs']:,}")
    console.print(head)

    if summary.groups:
        groups = Table(title=f"top template groups (of {t['groups']:,})")
        groups.add_column("group")
        groups.add_column("text", overflow="fold")
        groups.add_column("files", justify="right")
        groups.add_column("variants", justify="right")
        groups.add_column("in", overflow="fold")
        for g in summary.groups[:top]:
            names = ", ".join(g["files"][:3]) + (" …" if len(g["files"]) > 3 else "")
            groups.add_row(
                g["id"][:8], plain(g["text"]), str(g["n_files"]), str(g["n_variants"]), plain(names)
            )
        console.print(groups)

    shown = min(top, len(summary.files))
    files = Table(title=f"files (first {shown} of {summary.n_files:,})")
    files.add_column("file", overflow="fold")
    files.add_column("lang")
    files.add_column("lines", justify="right")
    files.add_column("kept", justify="right")
    files.add_column("main drop reason")
    for f in summary.files[:top]:
        files.add_row(
            plain(f.path),
            plain(f.language or "-"),
            str(f.lines),
            str(f.kept),
            plain((f.error and f"error: {f.error}") or (f.top_reason or "-")),
        )
    console.print(files)


def render_short(summary: Summary, console: Any) -> None:
    """A grep-able summary: one ``key=value`` per line (names escaped as in
    :func:`terminal_text`, printed as plain text)."""
    from rich.text import Text

    t = summary.totals
    for key in (
        "files",
        "files_failed",
        "files_empty",
        "lines",
        "kept",
        "dropped",
        "template_ratio",
        "groups",
        "template_groups",
        "duplicate_docs",
    ):
        console.print(Text(f"{key}={t[key]}"), highlight=False)
    for reason, count in sorted(t["by_reason"].items()):
        console.print(Text(terminal_text(f"reason.{reason}={count}")), highlight=False)
