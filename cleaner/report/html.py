"""The HTML report: one self-contained file to look at what a run kept and dropped.

The figures come from the same :class:`~cleaner.report.builder.Summary` the JSON report is built
from; the pages come one at a time (:meth:`PageSample.add`) and only a bounded sample of
them is held (the counts are fields of :class:`~cleaner.config.Config`). Page text is
hostile input: everything the report shows travels as JSON inside a
``<script type="application/json">`` element (``<``, ``>``, ``&``, U+2028 and U+2029
escaped) and the script renders it with ``textContent`` only.

Entry point: :func:`write_html_report`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xxhash

from ..config import Config
from ..models import FileResult, Reason
from .builder import Summary
from .html_page import render_html
from .names import group_hex, page_name, printable

REASONS = [r.value for r in Reason]  # a line's reason travels as its index in this list
MAX_CLUSTER_MEMBERS = 10  # names listed per duplicate-document cluster (the rest counted)
MAX_GROUP_TEXT = 300  # characters shown of a group's texts (a long copied line is cut)


def cut(text: str, size: int) -> str:
    """
    >>> cut("abcdef", 4), cut("abc", 4)
    ('abc…', 'abc')
    """
    return text if len(text) <= size else text[: size - 1] + "…"


def folder_of(name: str) -> str:
    """The site folder of a page: the folder of its file ('.' at the top).

    >>> folder_of("example.com/news/a.html"), folder_of("a.txt"), folder_of("c.jsonl#7")
    ('example.com/news', '.', '.')
    """
    return posixpath.dirname(name.split("#", 1)[0]) or "."


def share_dropped(lines: int, kept: int) -> float:
    """
    >>> share_dropped(4, 1), share_dropped(0, 0)
    (0.75, 0.0)
    """
    return (lines - kept) / lines if lines else 0.0


def sample_hash(seed: int, name: str) -> int:
    """A page's place in the seeded random sample: a hash of its name, so that the sample
    depends neither on the order pages come in nor on ``--jobs``.

    >>> sample_hash(0, "a.txt") == sample_hash(0, "a.txt") != sample_hash(1, "a.txt")
    True
    """
    return xxhash.xxh3_64_intdigest(f"{seed}\0{name}".encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class SampledPage:
    """One page as the report shows it (its lines cut at ``report_html_page_chars``)."""

    name: str
    language: str | None
    error: str | None
    lines: int
    kept: int
    top_reason: str | None
    reasons: tuple[int, ...]  # indexes into REASONS of every reason its lines have
    cluster: str | None
    representative: bool
    # [number, keep (0/1), reason index, group id or "", text]
    shown: tuple[tuple[int, int, int, str, str], ...]
    hidden: int  # lines not shown (the character budget was spent)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "folder": folder_of(self.name),
            "lang": self.language,
            "error": self.error,
            "lines": self.lines,
            "kept": self.kept,
            "top": self.top_reason,
            "reasons": list(self.reasons),
            "cluster": self.cluster,
            "rep": self.representative,
            "rows": [list(r) for r in self.shown],
            "hidden": self.hidden,
        }


def sample_page(result: FileResult, verdict: Any, max_chars: int) -> SampledPage:
    """What the report keeps of a page: every line until ``max_chars`` characters of text
    are shown (a longer line is cut), and its figures.

    >>> from ..models import Decision, LineResult
    >>> body, tpl = Decision(True, Reason.BODY), Decision(False, Reason.TEMPLATE, 7)
    >>> lines = (LineResult(1, "Menu", tpl), LineResult(2, "Text.", body))
    >>> r = FileResult("s/a.txt", "text", lines)
    >>> p = sample_page(r, None, 6)
    >>> p.shown, p.hidden, p.top_reason
    (((1, 0, 1, '0000000000000007', 'Menu'), (2, 1, 0, '', 'Te')), 0, 'template')
    """
    shown: list[tuple[int, int, int, str, str]] = []
    budget = max_chars
    used: set[int] = set()
    dropped: dict[str, int] = {}
    kept = 0
    for line in result.lines:
        d = line.decision
        index = REASONS.index(d.reason.value)
        used.add(index)
        kept += d.keep
        if not d.keep:
            dropped[d.reason.value] = dropped.get(d.reason.value, 0) + 1
        if budget > 0:
            text = line.text[:budget]
            budget -= len(text)
            group = "" if d.group is None else group_hex(d.group)
            shown.append((line.number, int(d.keep), index, group, printable(text)))
    top = min(dropped, key=lambda r: (-dropped[r], r)) if dropped else None
    return SampledPage(
        name=page_name(result.rel, result.id),
        language=result.language,
        error=result.error,
        lines=len(result.lines),
        kept=kept,
        top_reason=top,
        reasons=tuple(sorted(used)),
        cluster=None if verdict is None else group_hex(verdict.cluster),
        representative=verdict is not None and verdict.representative,
        shown=tuple(shown),
        hidden=len(result.lines) - len(shown),
    )


class _Best:
    """The ``size`` smallest keys seen, with their pages (kept by sorting and cutting a
    list twice the size: the result does not depend on the order keys come in)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: list[tuple[tuple[Any, ...], SampledPage]] = []
        self.cutoff: tuple[Any, ...] | None = None

    def wants(self, key: tuple[Any, ...]) -> bool:
        return self.size > 0 and (self.cutoff is None or key < self.cutoff)

    def add(self, key: tuple[Any, ...], page: SampledPage) -> None:
        self.items.append((key, page))
        if len(self.items) >= 2 * self.size:
            self._cut()

    def _cut(self) -> None:
        self.items.sort(key=lambda kv: kv[0])
        del self.items[self.size :]
        if self.items and len(self.items) == self.size:
            self.cutoff = self.items[-1][0]

    def pages(self) -> list[SampledPage]:
        self._cut()
        return [p for _, p in self.items]


class PageSample:
    """Pages streamed in (in any order) and the bounded sample the report shows: the
    pages with the highest share dropped, the emptiest (fewest kept lines of the most
    read), and a seeded random sample (the smallest hashes of their names).

    >>> from ..models import Decision, LineResult
    >>> body, short = Decision(True, Reason.BODY), Decision(False, Reason.SHORT)
    >>> s = PageSample(Config(report_html_most_dropped=1, report_html_emptiest=1,
    ...                       report_html_random=0))
    >>> for name, keep in [("a", 3), ("b", 1), ("c", 2)]:
    ...     lines = [LineResult(i, "x", body if i <= keep else short) for i in range(1, 4)]
    ...     s.add(FileResult(name, "text", tuple(lines)), None)
    >>> [(p.name, sorted(why)) for p, why in s.pages()], s.seen
    ([('b', ['emptiest', 'most-dropped'])], 3)
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.seen = 0
        self.most_dropped = _Best(config.report_html_most_dropped)
        self.emptiest = _Best(config.report_html_emptiest)
        self.random = _Best(config.report_html_random)

    def add(self, result: FileResult, verdict: Any = None) -> None:
        self.seen += 1
        name = page_name(result.rel, result.id)
        lines = len(result.lines)
        kept = sum(ln.decision.keep for ln in result.lines)
        keys: list[tuple[_Best, tuple[Any, ...]]] = [
            (self.most_dropped, (-share_dropped(lines, kept), kept - lines, name)),
            (self.random, (sample_hash(self.config.report_html_seed, name), name)),
        ]
        if result.error is None:  # unreadable pages are listed with the errors
            keys.append((self.emptiest, (kept, -lines, name)))
        wanted = [(best, key) for best, key in keys if best.wants(key)]
        if not wanted:
            return
        page = sample_page(result, verdict, self.config.report_html_page_chars)
        for best, key in wanted:
            best.add(key, page)

    def pages(self) -> list[tuple[SampledPage, set[str]]]:
        """The sampled pages by name, each with the samples it is in."""
        found: dict[str, tuple[SampledPage, set[str]]] = {}
        for why, best in (
            ("most-dropped", self.most_dropped),
            ("emptiest", self.emptiest),
            ("random", self.random),
        ):
            for page in best.pages():
                found.setdefault(page.name, (page, set()))[1].add(why)
        return [found[k] for k in sorted(found)]


def report_data(
    summary: Summary, sample: PageSample, config: Config, inputs: list[str]
) -> dict[str, Any]:
    """Everything the HTML report shows, as JSON-ready data."""
    pages = sample.pages()
    numbers = {page.name: k for k, (page, _) in enumerate(pages)}
    groups = []
    for g in summary.groups[: config.report_html_groups]:
        groups.append(
            {
                "id": g["id"],
                "text": cut(g["text"], MAX_GROUP_TEXT),
                "variants": [cut(v, MAX_GROUP_TEXT) for v in g["variants"]],
                "n_variants": g["n_variants"],
                "n_lines": g["n_lines"],
                "n_files": g["n_files"],
                "template": g["template"],
                "pages": [numbers[f] for f in g["files"] if f in numbers],
            }
        )
    clusters = []
    for d in summary.duplicate_docs[: config.report_html_groups]:
        members = d["files"]
        clusters.append(
            {
                "id": d["id"],
                "representative": d["representative"],
                "files": [[f, numbers.get(f, -1)] for f in members[:MAX_CLUSTER_MEMBERS]],
                "n_files": len(members),
            }
        )
    return {
        "totals": summary.totals,
        "reasons": REASONS,
        "config": config.to_dict(),
        "inputs": [printable(i) for i in inputs],
        "errors": [[p, e] for p, e in summary.errors[: config.report_html_groups]],
        "n_errors": len(summary.errors),
        "groups": groups,
        "n_groups_listed": len(summary.groups),
        "clusters": clusters,
        "n_clusters": len(summary.duplicate_docs),
        "pages": [dict(page.to_json(), why=sorted(why)) for page, why in pages],
        "n_pages": summary.n_files,
    }


def write_html_report(
    path: Path, summary: Summary, sample: PageSample, config: Config, inputs: list[str]
) -> None:
    """Write the report to ``path`` atomically (a temporary file moved into place, with the
    mode any output gets; a full disk names it)."""
    from ..io.writers import AtomicTextFile

    text = render_html(report_data(summary, sample, config, inputs))
    # a lone surrogate (a name or message that was not UTF-8) becomes "?"
    text = text.encode("utf-8", "replace").decode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = AtomicTextFile(path)
    try:
        handle.write(text)
        handle.commit()
    except BaseException:
        handle.abort()
        raise
