"""Compressed text streams: gzip and zstd, read and written a piece at a time."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import IO, Any

from .location import Location, open_binary


def open_text(path: Location, compression: str | None) -> IO[str]:
    """The UTF-8 text of a file, plain or compressed (``gz``, ``zst``), undecodable bytes
    replaced and line endings kept."""
    raw: IO[bytes] = open_binary(path)
    if compression == "gz":
        return gzip.open(raw, "rt", encoding="utf-8", errors="replace", newline="")
    if compression == "zst":
        raw = io.BufferedReader(ZstdFrames(raw))
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


class ZstdFrames(io.RawIOBase):
    """The data of a stream of zstd frames (one or several, as ``cat`` joins them), read
    a few KiB of input at a time. A stream that ends inside a frame gives the data before
    the cut, then :class:`EOFError` (as ``gzip`` does for a cut member).

    >>> import zstandard
    >>> whole = zstandard.ZstdCompressor().compress(b"a" * 100_000)
    >>> two = io.BufferedReader(ZstdFrames(io.BytesIO(whole + whole)))
    >>> len(two.read())
    200000
    >>> cut = io.BufferedReader(ZstdFrames(io.BytesIO(whole[:-4])))
    >>> cut.read()
    Traceback (most recent call last):
    EOFError: zstd data cut short: its last frame is incomplete
    """

    # Input read per step: zstd blocks can expand 32,768 times (a run of one byte), so this
    # bounds the data one step makes (4 KiB -> at most 128 MiB, a few KiB for text).
    STEP = 4096

    def __init__(self, raw: IO[bytes]) -> None:
        import zstandard

        self._raw = raw
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._frame: Any = None  # the decompressor of the frame being read
        self._pending = memoryview(b"")  # data made and not given yet

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            data = self._raw.read(self.STEP)
            if not data:
                if self._frame is not None and not self._frame.eof:
                    raise EOFError("zstd data cut short: its last frame is incomplete")
                return 0
            out = []
            while data:
                if self._frame is None or self._frame.eof:
                    self._frame = self._new()
                out.append(self._frame.decompress(data))
                data = self._frame.unused_data if self._frame.eof else b""
            self._pending = memoryview(b"".join(out))
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def open_text_writer(path: Path, compression: str | None) -> tuple[IO[str], IO[bytes] | None]:
    """A UTF-8 text stream writing to ``path``, plain or compressed (``gz``, ``zst``), and
    the file under it when closing the text stream leaves it open (gzip)."""
    if compression == "gz":
        # no file name and no time in the header: the same records give the same bytes
        inner = path.open("wb")  # GzipFile leaves it open
        zipped = gzip.GzipFile(filename="", mode="wb", fileobj=inner, mtime=0)
        return io.TextIOWrapper(zipped, encoding="utf-8", newline="\n"), inner
    if compression == "zst":
        import zstandard

        raw = zstandard.ZstdCompressor().stream_writer(path.open("wb"))
        return io.TextIOWrapper(raw, encoding="utf-8", newline="\n"), None
    return path.open("w", encoding="utf-8", newline="\n"), None
