"""What a file is by its name, and the name its output gets under OUT."""

from __future__ import annotations

from pathlib import Path

from .records import container_format, container_suffix, written_format, written_suffix

TEXT_SUFFIXES = frozenset({".txt", ".md", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
# the endings of names that keep their name: a text page's (no record container's suffix
# ends so, which a doctest checks)
_PLAIN_ENDINGS = tuple(sorted(TEXT_SUFFIXES))


def output_name(rel: str, record_format: str | None = None) -> str:
    """Relative output path: HTML pages become ``.txt``, WARC files ``.jsonl`` (records
    keep their compression; see :func:`~cleaner.io.records.written_format`); other names
    stay. ``record_format`` (``jsonl`` or ``parquet``) changes the kind of every record
    file.

    >>> output_name("a/b.html"), output_name("c.md"), output_name("d.txt")
    ('a/b.txt', 'c.md', 'd.txt')
    >>> output_name("crawl.warc.gz"), output_name("x.jsonl.zst")
    ('crawl.jsonl.gz', 'x.jsonl.zst')
    >>> output_name("x.jsonl.zst", "parquet"), output_name("p.parquet", "jsonl")
    ('x.parquet', 'p.jsonl')
    >>> from cleaner.io.records import CONTAINER_SUFFIXES  # none ends as a text page's name
    >>> any(s.endswith(_PLAIN_ENDINGS) for s in CONTAINER_SUFFIXES)
    False
    """
    if rel.endswith(_PLAIN_ENDINGS):  # most names, at one test: a text page keeps its name
        return rel
    suffix = container_suffix(rel)
    if suffix is not None:
        fmt, compression = container_format(rel) or (None, None)
        assert fmt is not None
        written = written_format(fmt, record_format)
        if record_format is None and written == fmt:
            return rel
        return rel[: len(rel) - len(suffix)] + written_suffix(written, compression)
    stem, dot, tail = rel.rpartition(".")
    if dot and "." + tail.lower() in HTML_SUFFIXES:
        return stem + ".txt"
    return rel


def file_kind(path: Path) -> str | None:
    """What an input file is, by its name: ``text``, ``html``, a record format, or None
    (not read).

    >>> file_kind(Path("a.MD")), file_kind(Path("b.htm")), file_kind(Path("c.warc.gz"))
    ('text', 'html', 'warc')
    >>> file_kind(Path("d.pdf")) is None
    True
    """
    return name_kind(path.name)


def name_kind(name: str) -> str | None:
    """:func:`file_kind` of a file's name (a string: a folder's listing has no Path).

    >>> name_kind("x.Html"), name_kind(".txt"), name_kind("y.txt."), name_kind("z")
    ('html', None, None, None)
    """
    if name.endswith(".txt") and len(name) > 4:  # most names, at one test
        return "text"
    container = container_format(name)
    if container is not None:
        return container[0]
    dot = name.rfind(".")
    suffix = name[dot:].lower() if 0 < dot < len(name) - 1 else ""  # as Path.suffix
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    return None
