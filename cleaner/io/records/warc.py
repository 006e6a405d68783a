"""WARC (plain or gzip), read only: its HTML responses are the records, their target URI
the id. A WARC input is written as JSON Lines."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import IO, Any

from ..decode import InputError, decode
from ..location import Location, open_binary
from .base import Record, RecordKeys, Records, selected

NAME = "warc"
LABEL = ".warc[.gz]"  # how the run names the suffixes it reads
SUFFIXES = {".warc": None, ".warc.gz": "gz"}  # suffix -> compression
WRITTEN_AS = "jsonl"  # the format a WARC input's records are written in


def read(
    path: Location,
    compression: str | None,
    keys: RecordKeys,
    select: Callable[[int], bool] | None = None,
) -> Records:
    """The HTML response records (the fields do not apply: see :func:`iter_warc`), those
    whose number (from 0) ``select`` accepts."""
    return selected(iter_warc(path), select)


def iter_warc(path: Location) -> Iterator[tuple[Record, dict[str, Any] | None]]:
    """HTML response records of a WARC file (plain or gzip), with their target URI as id.
    FastWARC stops without a word where a file is cut short: the file is checked first
    (:func:`warc_cut`), the records before the cut are given, then :class:`EOFError`."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    with open_binary(path) as handle:
        cut = warc_cut(handle)
    whole = None if cut is None else cut[0]  # records before the cut
    with open_binary(path) as handle:
        # up to the cut: the reader is not asked for the record it would fail on
        for record in itertools.islice(ArchiveIterator(handle, parse_http=True), whole):
            if record.record_type != WarcRecordType.response:
                continue
            content_type = (record.http_content_type or "").lower()
            if "html" not in content_type:
                continue
            uri = record.headers.get("WARC-Target-URI") or record.record_id or ""
            body = record.reader.read()
            try:
                html, _note = decode(body, html=True, declared=record.http_charset or None)
            except InputError as exc:
                yield Record(uri, "", True, str(exc)), {"id": uri, "url": uri}
                continue
            yield Record(uri, html, True), {"id": uri, "url": uri}
    if cut is not None:
        raise EOFError(cut[1])


def _gzip_members(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The data of a stream of gzip members, a piece at a time; :class:`EOFError` when
    the stream ends inside a member or its data is damaged. Bytes after the last member
    that do not start another one are ignored (as ``gzip`` ignores trailing zeros)."""
    import zlib

    member: Any = None
    for data in chunks:
        while data:
            if member is None:
                if not data.startswith(b"\x1f\x8b"[: len(data)]):
                    return
                member = zlib.decompressobj(wbits=31)
            try:
                yield member.decompress(data)
            except zlib.error as exc:  # damaged: what follows cannot be read
                raise EOFError(f"gzip data damaged ({exc})") from None
            data = member.unused_data if member.eof else b""
            if member.eof:
                member = None
    if member is not None:
        raise EOFError("gzip data cut short")


_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)[ \t]*$", re.I | re.M)


def warc_cut(handle: IO[bytes]) -> tuple[int, str] | None:
    """Where a WARC stream (plain, or gzip members as its first bytes tell) is cut short:
    (the number of whole records before the cut, what is wrong), or None for a whole
    stream. Reads the record headers and skips the content each declares; a stream whose
    layout it does not follow is taken as whole (the WARC reader judges it).

    >>> import gzip, io
    >>> rec = b"WARC/1.0\\r\\nContent-Length: 4\\r\\n\\r\\nbody\\r\\n\\r\\n"
    >>> warc_cut(io.BytesIO(rec * 2)) is None
    True
    >>> warc_cut(io.BytesIO(rec * 2 + rec[:30]))
    (2, 'cut short: the file ends inside record 3')
    >>> warc_cut(io.BytesIO(gzip.compress(rec)[:-3]))
    (1, 'gzip data cut short after record 1')
    >>> warc_cut(io.BytesIO(gzip.compress(rec) + gzip.compress(rec)[:-20]))
    (1, 'gzip data cut short: the file ends inside record 2')
    """
    first = handle.read(2)
    chunks = itertools.chain([first], iter(lambda: handle.read(1 << 16), b""))
    pieces = _gzip_members(chunks) if first == b"\x1f\x8b" else chunks
    records = 0
    skip = 0  # content bytes of the current record still to pass
    head = b""  # the start of a record's header, until its blank line
    try:
        for piece in pieces:
            while piece:
                if skip:
                    taken = min(skip, len(piece))
                    skip -= taken
                    piece = piece[taken:]
                    if not skip:
                        records += 1
                    continue
                head = (head + piece).lstrip(b"\r\n")
                piece = b""
                if not b"WARC/".startswith(head[:5]):
                    return None  # not a record header here: not a layout this follows
                end = head.find(b"\r\n\r\n")
                if end < 0:
                    if len(head) > 1 << 20 or b"\n\n" in head:  # not CRLF lines
                        return None
                    continue
                length = _CONTENT_LENGTH.search(head, 0, end)
                if length is None:
                    return None
                piece, head = head[end + 4 :], b""
                skip = int(length.group(1))
                if not skip:
                    records += 1
    except EOFError as exc:  # a gzip member cut short or damaged
        problem = str(exc)
    else:
        problem = ""
    if skip or head:
        return records, f"{problem or 'cut short'}: the file ends inside record {records + 1}"
    if problem:
        return records, f"{problem} after record {records}" if records else problem
    return None
