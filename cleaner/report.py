"""The run report: streamed JSON (schema 1) and the terminal summary."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import re
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from .config import Config
from .io.readers import output_name
from .io.writers import AtomicTextFile
from .models import FileResult, Reason

SCHEMA_VERSION = 1
MAX_VARIANTS = 5  # distinct texts listed per group
MAX_COUNTED_VARIANTS = 1000  # distinct texts counted per group (bounds memory)
MAX_LISTED_FILES = 1000  # file summaries kept for the terminal table (the first by name)
TEMPLATE_REASONS = frozenset({Reason.TEMPLATE, Reason.TEMPLATE_BLOCK})


def group_hex(gid: int) -> str:
    """
    >>> group_hex(255)
    '00000000000000ff'
    """
    return f"{gid:016x}"


def printable(name: str) -> str:
    r"""A file name as valid UTF-8 text: bytes that were not UTF-8 become U+FFFD.

    >>> printable("caf\udce9.txt") == "caf\ufffd.txt"
    True
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# characters a terminal acts on instead of showing: C0 controls (tab and newline too: a
# shown name or line stays on its line), DEL, C1 controls, bidirectional marks, embeddings,
# overrides and isolates (they reorder what follows), line and paragraph separators, and
# surrogates that are not a file name's undecodable bytes
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str) -> str:
    r"""Text from the input (a file name, a record id, a line, an error naming them) as the
    terminal shows it: control characters and bidirectional overrides escaped, so that it
    cannot move the cursor, retitle or clear the terminal, or reorder what follows; bytes
    of a file name that were not UTF-8 become U+FFFD (as in :func:`printable`).

    >>> print(terminal_text("x\x1b]0;PWNED\x07\x1b[2J"))
    x\x1b]0;PWNED\x07\x1b[2J
    >>> print(terminal_text("abc\u202edef\x85 a\tb\x7f"))
    abc\u202edef\x85 a\x09b\x7f
    >>> terminal_text("caf\udce9.txt") == "caf\ufffd.txt"
    True
    >>> terminal_text("plain café [bold]")
    'plain café [bold]'
    """
    with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate: escaped below
        text = printable(text)
    return _UNSAFE.sub(_escape, text)


def natural_key(text: str) -> tuple[tuple[tuple[int, str], ...], str]:
    """Orders names as people count: runs of digits by their value (``#2`` before ``#10``),
    the rest by text; names equal in that order (``a01``, ``a1``) by their text.

    >>> sorted(["a.jsonl#10", "a.jsonl#2", "a.jsonl#1", "b.txt", "a.jsonl#x"], key=natural_key)
    ['a.jsonl#1', 'a.jsonl#2', 'a.jsonl#10', 'a.jsonl#x', 'b.txt']
    >>> sorted(["p9" + "0" * 5000, "p10" + "0" * 5000, "p007"], key=natural_key)[0]
    'p007'
    """
    parts = re.split("([0-9]+)", text)
    # a number by its length less leading zeros, then its digits: its value's order,
    # without converting thousands of digits to an int
    key = tuple(
        (len(p.lstrip("0")), p.lstrip("0")) if i % 2 else (-1, p) for i, p in enumerate(parts)
    )
    return key, text


def page_name(rel: str, rid: str | None) -> str:
    """How a page is named in reports: its file, and the record id within a record file.

    >>> page_name("a.txt", None), page_name("c.jsonl", "7")
    ('a.txt', 'c.jsonl#7')
    """
    return printable(rel if rid is None else f"{rel}#{rid}")


def main_body_summary(result: FileResult, config: Config) -> dict[str, Any] | None:
    """Where a page's kept text stands and what went beside it as ``off-body``: the first
    and last kept line (``n``), the words kept, and the off-body lines (runs of them fewer
    than ``offbody_min_gap`` lines apart are one block; the largest block by words is
    named), so a reader sees what the main body was weighed against. None when nothing is
    kept. A line longer than ``max_feature_chars`` has its words counted on its head and
    end and scaled, as its features are.

    >>> from cleaner.models import Decision, LineResult
    >>> def ln(n, keep, reason, text):
    ...     return LineResult(n, text, Decision(keep, Reason(reason)))
    >>> page = FileResult("a.txt", "text", (
    ...     ln(1, False, "template", "Menu"), ln(2, True, "body", "An article in four words."),
    ...     ln(3, True, "body", "Two more."), ln(4, False, "off-body", "A comment of five words."),
    ...     ln(5, False, "datetime", "May 3, 2019"), ln(6, False, "off-body", "Another one.")))
    >>> main_body_summary(page, Config())  # doctest: +NORMALIZE_WHITESPACE
    {'first': 2, 'last': 3, 'words': 7, 'share': 0.5,
     'off_body': {'lines': 2, 'words': 7, 'largest': {'first': 4, 'last': 6, 'words': 7}}}
    """
    from .text import word_count

    cap = config.max_feature_chars

    def count(text: str) -> int:
        if len(text) <= cap:
            return word_count(text)
        return round(word_count(text[: cap // 2] + " " + text[-cap // 2 :]) * len(text) / cap)

    kept = [(ln.number, count(ln.text)) for ln in result.lines if ln.decision.keep]
    if not kept:
        return None
    off = [
        (ln.number, count(ln.text)) for ln in result.lines if ln.decision.reason is Reason.OFF_BODY
    ]
    blocks: list[list[tuple[int, int]]] = []
    for n, w in off:
        if blocks and n - blocks[-1][-1][0] <= config.offbody_min_gap:
            blocks[-1].append((n, w))
        else:
            blocks.append([(n, w)])
    largest = max(blocks, key=lambda b: (sum(w for _, w in b), -b[0][0]), default=None)
    words = sum(w for _, w in kept)
    off_words = sum(w for _, w in off)
    return {
        "first": kept[0][0],
        "last": kept[-1][0],
        "words": words,
        "share": round(words / (words + off_words), 3) if words + off_words else 1.0,
        "off_body": {
            "lines": len(off),
            "words": off_words,
            "largest": None
            if largest is None
            else {
                "first": largest[0][0],
                "last": largest[-1][0],
                "words": sum(w for _, w in largest),
            },
        },
    }


def _hex_or_none(gid: int | None) -> str | None:
    return None if gid is None else group_hex(gid)


@dataclass
class FileSummary:
    path: str
    language: str | None
    lines: int
    kept: int
    error: str | None
    top_reason: str | None


@dataclass
class GroupAgg:
    """A group's texts and pages, as 4-byte page numbers (names are looked up at the end)."""

    variants: Counter[str] = field(default_factory=Counter)
    pages: array[int] = field(default_factory=lambda: array("I"))
    # once the group has MAX_COUNTED_VARIANTS texts: a heap of (-hash, text), largest on top
    heap: list[tuple[int, str]] | None = None


def text_hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))


# What the report keeps of one page: (file, record id, language, lines, kept, error, the
# most frequent reason a line of it was dropped)
PageTally = tuple[str, str | None, str | None, int, int, str | None, str | None]


def admit(agg: GroupAgg, text: str, count: int) -> None:
    """Count ``count`` more of a group's text. A group counts at most MAX_COUNTED_VARIANTS
    distinct texts (its memory stays bounded): the ones of smallest hash, so that which
    texts are counted does not depend on the order pages come in, and tallies of parts of
    the corpus merge into the tally of the whole. A text counted is counted in full.

    >>> agg = GroupAgg()
    >>> for t in ["Menu", "Top", "Menu", *(f"Menu {i}" for i in range(MAX_COUNTED_VARIANTS))]:
    ...     admit(agg, t, 1)
    >>> len(agg.variants) == MAX_COUNTED_VARIANTS, agg.variants.get("Menu") in (None, 2)
    (True, True)
    """
    counts = agg.variants
    if text in counts:
        counts[text] += count
    elif len(counts) < MAX_COUNTED_VARIANTS:
        counts[text] = count
    else:  # full: the text takes the place of the largest hash, if its own is smaller
        if agg.heap is None:
            agg.heap = [(-text_hash(t), t) for t in counts]
            heapq.heapify(agg.heap)
        h = text_hash(text)
        if h < -agg.heap[0][0]:
            _, top = heapq.heapreplace(agg.heap, (-h, text))
            del counts[top]
            counts[text] = count


@dataclass
class ShardTally:
    """What the report needs of a shard's pages, gathered by the worker that decided them:
    a summary per page, line counts by reason, and the groups the pages' lines fell in
    (pages numbered within the shard). The main process merges one tally per shard instead
    of reading every line of every page.

    >>> from .models import Decision, LineResult
    >>> t = ShardTally()
    >>> body, tpl = Decision(True, Reason.BODY), Decision(False, Reason.TEMPLATE, 7)
    >>> t.add(FileResult("a.txt", "text", (LineResult(1, "Menu", tpl), LineResult(2, "x", body))))
    >>> t.add(FileResult("b.txt", "text", (LineResult(1, "Menu", tpl),)))
    >>> t.pages[1], dict(t.reasons), t.groups[7].variants["Menu"], list(t.groups[7].pages)
    (('b.txt', None, None, 1, 0, None, 'template'), {'template': 2, 'body': 1}, 2, [0, 1])
    """

    pages: list[PageTally] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    groups: dict[int, GroupAgg] = field(default_factory=dict)
    # each group's id and number of pages (uint64, int64), set by :meth:`split`
    sizes: tuple[np.ndarray, np.ndarray] | None = None

    def group_sizes(self) -> tuple[np.ndarray, np.ndarray]:
        """The id of each group and how many of the shard's pages it spans."""
        if self.sizes is not None:
            return self.sizes
        n = len(self.groups)
        ids = np.fromiter(self.groups, np.uint64, n)
        return ids, np.fromiter((len(a.pages) for a in self.groups.values()), np.int64, n)

    def split(self) -> tuple[ShardTally, dict[int, GroupAgg]]:
        """The tally with its groups' sizes in place of their texts and pages, and the
        groups: saved apart, so that a report can count every group and read the texts of
        only those it lists.

        >>> from .models import Decision, LineResult
        >>> t = ShardTally()
        >>> menu = LineResult(1, "Menu", Decision(False, Reason.TEMPLATE, 7))
        >>> t.add(FileResult("a.txt", "text", (menu,)))
        >>> head, groups = t.split()
        >>> head.groups, [a.tolist() for a in head.group_sizes()], list(groups)
        ({}, [[7], [1]], [7])
        """
        head = ShardTally(self.pages, self.reasons, {}, self.group_sizes())
        return head, self.groups

    def add(self, result: FileResult) -> None:
        page = len(self.pages)
        kept = 0
        by_reason: Counter[Reason] = Counter()
        groups = self.groups
        for line in result.lines:
            d = line.decision
            by_reason[d.reason] += 1
            kept += d.keep
            if d.group is not None:
                agg = groups.get(d.group)
                if agg is None:
                    agg = groups[d.group] = GroupAgg()
                admit(agg, line.text, 1)
                if not agg.pages or agg.pages[-1] != page:
                    agg.pages.append(page)
        counts = {r.value: c for r, c in by_reason.items()}
        self.reasons.update(counts)
        dropped = Counter({r: c for r, c in counts.items() if r != Reason.BODY.value})
        top = dropped.most_common(1)[0][0] if dropped else None
        n = len(result.lines)
        self.pages.append((result.rel, result.id, result.language, n, kept, result.error, top))


@dataclass(frozen=True)
class Summary:
    """Everything the terminal report and the exit code need."""

    totals: dict[str, Any]
    groups: list[dict[str, Any]]  # most pages first: all, or the first ``list_groups``
    duplicate_docs: list[dict[str, Any]]
    files: list[FileSummary]  # the first MAX_LISTED_FILES by name
    errors: list[tuple[str, str]]
    n_files: int = 0  # pages summarised (``files`` lists the first of them)


class ReportBuilder:
    """Consumes FileResults one at a time; streams file entries to the JSON report (if any)
    and keeps only counts, group texts, the first file summaries by name and each page's
    name (its UTF-8 bytes and an 8-byte offset: group file lists are built at the end)."""

    def __init__(
        self,
        config: Config,
        json_path: Path | None,
        inputs: list[str],
        list_groups: int | None = None,
    ) -> None:
        self.config = config
        self.json_path = json_path
        # groups the summary lists, most pages first: None for all (the JSON report lists
        # all); otherwise only the texts and pages of the groups that can be among the
        # first ``list_groups`` are gathered, while every group is still counted
        self.list_groups = None if json_path is not None else list_groups
        self._shard_offsets: list[int] = []  # first page number of each merged tally
        self._sizes: list[tuple[np.ndarray, np.ndarray]] = []  # (group ids, pages) per tally
        self.reasons: Counter[str] = Counter()
        self.lines = 0
        self.kept = 0
        self.files: list[FileSummary] = []  # candidates for the first MAX_LISTED_FILES
        self.n_pages = 0
        self._names = bytearray()
        self._name_ends = array("Q")
        self.errors: list[tuple[str, str]] = []
        self.groups: dict[int, GroupAgg] = {}
        # near-duplicate document clusters: (id, members, representative), names as pairs
        self.clusters: list[tuple[int, list[tuple[str, str | None]], tuple[str, str | None]]] = []
        self.empty = 0
        self.unlisted = 0
        self.outputs: dict[str, str] = {}  # output names named apart (Source.output), by rel
        self._handle: AtomicTextFile | None = None
        self._first = True
        if json_path is not None:
            self._handle = AtomicTextFile(json_path)  # a full disk names the report
            head = {
                "schema": SCHEMA_VERSION,
                "tool": "cleaner",
                "config": config.to_dict(),
                "inputs": [printable(i) for i in inputs],
            }
            self._handle.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "files": [\n')

    def add_error(self, path: str, message: str) -> None:
        """A file that never became a result (found but not readable as a page)."""
        self.errors.append((printable(path), message))
        self.unlisted += 1

    @property
    def writes_entries(self) -> bool:
        """Whether a JSON report is written: it lists every line (see :meth:`entry`)."""
        return self._handle is not None

    def merge(self, tally: ShardTally) -> None:
        """Count the pages of one shard (shards merged in order) and the pages of its
        groups; their texts and page lists come with :meth:`merge_groups`."""
        self._shard_offsets.append(self.n_pages)
        self._sizes.append(tally.group_sizes())
        for rel, rid, language, n_lines, kept, error, top in tally.pages:
            name = page_name(rel, rid)
            self.n_pages += 1
            self._names += name.encode("utf-8")
            self._name_ends.append(len(self._names))
            if error is not None:
                self.errors.append((name, error))
            else:
                self.empty += not kept
            self.lines += n_lines
            self.kept += kept
            self.files.append(FileSummary(name, language, n_lines, kept, error, top))
            if len(self.files) >= 2 * MAX_LISTED_FILES:
                self.files.sort(key=lambda f: f.path)
                del self.files[MAX_LISTED_FILES:]
        self.reasons.update(tally.reasons)

    def group_files(self) -> tuple[np.ndarray, np.ndarray]:
        """Every group's id (sorted) and the number of pages it spans, from the merged
        tallies."""
        if not self._sizes:
            return np.empty(0, np.uint64), np.empty(0, np.int64)
        if len(self._sizes) > 1:
            ids = np.concatenate([i for i, _ in self._sizes])
            pages = np.concatenate([p for _, p in self._sizes])
            ids, at = np.unique(ids, return_inverse=True)
            self._sizes = [(ids, np.bincount(at, pages, len(ids)).astype(np.int64))]
        return self._sizes[0]

    def wanted_groups(self) -> set[int] | None:
        """The groups whose texts and pages :meth:`merge_groups` should gather: None for
        all; else those spanning at least as many pages as the ``list_groups``-th largest
        (ties at that size included: their order is settled by their texts)."""
        if self.list_groups is None:
            return None
        ids, n_files = self.group_files()
        listed = n_files >= 2
        ids, n_files = ids[listed], n_files[listed]
        if self.list_groups <= 0:
            return set()
        if len(ids) > self.list_groups:
            least = np.partition(n_files, -self.list_groups)[-self.list_groups]
            ids = ids[n_files >= least]
        return set(ids.tolist())

    def merge_groups(
        self, shard: int, groups: dict[int, GroupAgg], wanted: set[int] | None = None
    ) -> None:
        """Gather the texts and pages of the groups of the ``shard``-th merged tally (all,
        or those ``wanted``)."""
        offset = self._shard_offsets[shard]
        for gid, part in groups.items():
            if wanted is not None and gid not in wanted:
                continue
            agg = self.groups.get(gid)
            if agg is None:
                agg = self.groups[gid] = GroupAgg()
            for text, count in part.variants.items():
                admit(agg, text, count)
            agg.pages.extend(array("I", [p + offset for p in part.pages]))

    def entry(self, result: FileResult, duplicate: Any = None) -> None:
        """Write one page's entry to the JSON report, in order; ``duplicate`` is its
        DocVerdict when it is in a near-duplicate document cluster."""
        if self._handle is None:
            return
        entry = {
            "path": printable(result.rel),
            "id": result.id,
            "output": printable(
                self.outputs.get(result.rel) or output_name(result.rel, self.config.output_format)
            )
            if result.error is None
            else None,
            "kind": result.kind,
            "language": result.language,
            "error": result.error,
            "notes": list(result.notes),
            "main_body": main_body_summary(result, self.config),
            "duplicate": None
            if duplicate is None
            else {
                "cluster": group_hex(duplicate.cluster),
                "representative": duplicate.representative,
                "dropped": duplicate.dropped,
            },
            "lines": [
                {
                    "n": ln.number,
                    "keep": ln.decision.keep,
                    "reason": ln.decision.reason.value,
                    "group": _hex_or_none(ln.decision.group),
                    "text": ln.text,
                }
                for ln in result.lines
            ],
        }
        sep = "" if self._first else ",\n"
        self._handle.write(sep + json.dumps(entry, ensure_ascii=False))
        self._first = False

    def _page_names(self) -> list[str]:
        """Every page's name, by page number."""
        ends = self._name_ends
        data = bytes(self._names)
        return [
            data[start:end].decode("utf-8")
            for start, end in zip(itertools.chain((0,), ends), ends, strict=False)
        ]

    def summary(self, template_min_files: int) -> Summary:
        """The report's summary; ``template_min_files``: the threshold the run's decisions
        used (with an index, its pages count too), which flags groups as template."""
        tmin = template_min_files
        groups: list[dict[str, Any]] = []
        all_names = self._page_names()
        # each page's rank by name, sorted once: a group's pages are ordered by rank
        by_name = np.array(sorted(range(len(all_names)), key=all_names.__getitem__), np.int64)
        rank = np.empty(len(by_name), np.int64)
        rank[by_name] = np.arange(len(by_name))
        for gid, agg in self.groups.items():
            if len(agg.pages) < 2:
                continue
            pages = by_name[np.sort(rank[np.frombuffer(agg.pages, np.uint32)])]
            names = [all_names[i] for i in pages.tolist()]
            variants = sorted(agg.variants.items(), key=lambda kv: (-kv[1], kv[0]))
            groups.append(
                {
                    "id": group_hex(gid),
                    "text": variants[0][0],
                    "variants": [v for v, _ in variants[:MAX_VARIANTS]],
                    "n_variants": len(variants),
                    "n_lines": sum(agg.variants.values()),
                    "n_files": len(names),
                    "template": len(names) >= tmin,
                    "files": names,
                }
            )
        groups.sort(key=lambda g: (-g["n_files"], -g["n_lines"], g["id"]))
        if self.list_groups is not None:
            del groups[self.list_groups :]
        _, n_files = self.group_files()
        dups = [
            {
                "id": group_hex(cid),
                "representative": page_name(*rep),
                "files": [page_name(*m) for m in members],
            }
            for cid, members, rep in self.clusters
        ]
        template_lines = sum(self.reasons[r.value] for r in TEMPLATE_REASONS)
        totals = {
            "files": self.n_pages + self.unlisted,
            "files_failed": len(self.errors),
            "files_empty": self.empty,
            "lines": self.lines,
            "kept": self.kept,
            "dropped": self.lines - self.kept,
            "by_reason": dict(sorted(self.reasons.items())),
            "template_ratio": round(template_lines / self.lines, 6) if self.lines else 0.0,
            "groups": int((n_files >= 2).sum()),
            "template_groups": int(((n_files >= 2) & (n_files >= tmin)).sum()),
            "template_min_files": tmin,
            "duplicate_docs": sum(len(d["files"]) - 1 for d in dups),
        }
        files = sorted(self.files, key=lambda f: f.path)[:MAX_LISTED_FILES]
        errors = sorted(self.errors, key=lambda e: (natural_key(e[0]), e[1]))
        return Summary(totals, groups, dups, files, errors, self.n_pages)

    def finish(self, summary: Summary, timings: dict[str, float]) -> None:
        """Close the JSON report and move it into place."""
        if self._handle is None:
            return
        tail = {
            "groups": summary.groups,
            "duplicate_docs": summary.duplicate_docs,
            "errors": [{"path": p, "error": e} for p, e in summary.errors],
            "totals": summary.totals,
            "timings": timings,
        }
        self._handle.write("\n], " + json.dumps(tail, ensure_ascii=False)[1:] + "\n")
        self._handle.commit()
        self._handle = None

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.abort()  # the temporary file goes, whatever the error was
            self._handle = None


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
