"""Plain data passed between the pipeline's steps."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from .io.naming import output_name


class Reason(str, Enum):
    """Why a line was kept or dropped. Reports count lines per reason."""

    BODY = "body"  # kept: reads as article text
    TEMPLATE = "template"  # repeated (exactly or nearly) across files
    TEMPLATE_BLOCK = "template-block"  # in a run of title-like lines around template lines
    NO_SENTENCE = "no-sentence"  # title-like or list line away from the body
    SHORT = "short"  # a short sentence away from the body
    LOW_STOPWORDS = "low-stopwords"  # long line with too few function words to be prose
    MARKUP = "markup"  # image markers, table rules, link syntax, leftover markup
    DATETIME = "datetime"  # a date or time stamp
    REPEATED = "repeated"  # a second copy of a line earlier on the same page
    OFF_BODY = "off-body"  # text in a small block away from the page's main body

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Source:
    """One input file: where it is and the path its output gets under OUT.

    A run lists every input file, so a Source keeps strings, not Paths (a Path costs several
    times its string), and the parts the files of a folder share (the folder, the folder's
    relative name) as one interned string for all of them: only the file name is its own.

    >>> s = Source.of(Path("in/site/a.txt"), "site/a.txt", "text")
    >>> s.path, s.rel, s.folder is Source.of(Path("in/site/b.txt"), "site/b.txt", "text").folder
    (PosixPath('in/site/a.txt'), 'site/a.txt', True)
    """

    folder: str  # the local file's folder; for a URL input, "." (the name gives its format)
    name: str  # the file's name
    prefix: str  # the relative output name less the file name ('/'-separated)
    kind: str  # "text", "html", or a record container: "jsonl", "parquet", "warc"
    url: str | None = None  # set for an input read through fsspec (s3://, gs://, file://...)
    output: str | None = None  # its output name when not the usual one (see :meth:`target`)

    @classmethod
    def of(
        cls, path: Path, rel: str, kind: str, url: str | None = None, output: str | None = None
    ) -> Source:
        """The Source of ``path`` with relative output name ``rel`` (which ends in the
        file's name)."""
        return cls.at(str(path.parent), path.name, rel, kind, url, output)

    @classmethod
    def at(
        cls,
        folder: str,
        name: str,
        rel: str,
        kind: str,
        url: str | None = None,
        output: str | None = None,
    ) -> Source:
        """:meth:`of` the file ``name`` of ``folder`` (as ``str(path.parent)`` spells it)."""
        if not rel.endswith(name):
            raise ValueError(f"relative name {rel!r} does not end in {name!r}")
        prefix = sys.intern(rel[: len(rel) - len(name)])
        return cls(sys.intern(folder), name, prefix, kind, url, output)

    @property
    def rel(self) -> str:
        """The relative output name, '/'-separated."""
        return self.prefix + self.name

    def target(self, record_format: str | None = None) -> str:
        """The relative output name: ``output`` when discovery named it apart (``x.html``
        beside ``x.txt`` becomes ``x.html.txt``), else ``output_name(rel)``.

        >>> Source.of(Path("in/x.html"), "x.html", "html").target()
        'x.txt'
        """
        if self.output is not None:
            return self.output
        return output_name(self.rel, record_format)

    @property
    def is_record_file(self) -> bool:
        """A record container (JSONL, Parquet, WARC), not a single page."""
        return self.kind not in ("text", "html")

    @property
    def path(self) -> Path:
        return Path(self.folder, self.name)

    @property
    def location(self) -> Path | str:
        """What to open: the URL of a URL input, else the local path."""
        return self.url if self.url is not None else self.path


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a line is kept, why, and the cross-file line group it belongs to."""

    keep: bool
    reason: Reason
    group: int | None = None  # content-derived id of the cross-file line group

    def __reduce__(self) -> tuple[type, tuple[bool, Reason, int | None]]:
        return (Decision, (self.keep, self.reason, self.group))


@dataclass(frozen=True, slots=True)
class LineResult:
    """A non-blank line of a page with its decision."""

    number: int  # 1-based position among the page's non-blank lines
    text: str
    decision: Decision

    def __reduce__(self) -> tuple[type, tuple[int, str, Decision]]:
        return (LineResult, (self.number, self.text, self.decision))


@dataclass(frozen=True, slots=True)
class FileResult:
    """A cleaned page: its lines with their decisions, its language, what went wrong."""

    rel: str
    kind: str
    lines: tuple[LineResult, ...] = ()
    language: str | None = None
    error: str | None = None  # set when the file could not be read or parsed
    notes: tuple[str, ...] = ()  # what was assumed (encoding, ...)
    id: str | None = None  # record id, for a page that is a record of a container

    @property
    def kept(self) -> list[str]:
        return [ln.text for ln in self.lines if ln.decision.keep]
