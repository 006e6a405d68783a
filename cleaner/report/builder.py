"""The JSON report (schema 1), streamed a page at a time, and the summary the terminal
report, the HTML report and the exit code are made from."""

from __future__ import annotations

import itertools
import json
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config
from ..io.naming import output_name
from ..io.writers import AtomicTextFile
from ..models import FileResult, Reason
from ..text import word_count
from .names import group_hex, natural_key, page_name, printable
from .tally import GroupAgg, ShardTally, admit

SCHEMA_VERSION = 1
MAX_VARIANTS = 5  # distinct texts listed per group
MAX_LISTED_FILES = 1000  # file summaries kept for the terminal table (the first by name)
TEMPLATE_REASONS = frozenset({Reason.TEMPLATE, Reason.TEMPLATE_BLOCK})


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
    """One page's line of the report: its size, what was kept and why not."""

    path: str
    language: str | None
    lines: int
    kept: int
    error: str | None
    top_reason: str | None


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
        self._last_listed: str | None = None  # the last of them at the latest trim
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
            # a page named after the last one kept at a trim is never among the first
            if self._last_listed is None or name < self._last_listed:
                self.files.append(FileSummary(name, language, n_lines, kept, error, top))
                if len(self.files) >= 2 * MAX_LISTED_FILES:
                    self.files.sort(key=lambda f: f.path)
                    del self.files[MAX_LISTED_FILES:]
                    self._last_listed = self.files[-1].path
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

    def merge_groups(self, shard: int, groups: Iterable[tuple[int, GroupAgg]]) -> None:
        """Gather the texts and pages of ``groups`` (id, aggregate) of the ``shard``-th
        merged tally."""
        offset = self._shard_offsets[shard]
        for gid, part in groups:
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
