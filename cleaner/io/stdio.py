"""Standard input and output: staged through the work folder (the passes read the input
twice), and a reader that closes standard output early."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import IO

from . import writers

# Standard input is read twice (pass 1 fingerprints its records, pass 3 copies their other
# fields), so it is staged in the work folder, zstd-compressed; the output for '-o -' is
# staged beside it the same way.
STDIN_NAME = "stdin.jsonl.zst"
# zstd level: JSON Lines of web pages 3.8 times smaller at about 110 MB/s on one core (level
# 1: 3.35 times, 250 MB/s), far above what the passes read per second
STAGE_LEVEL = 3


def stage_stream(source: IO[bytes], path: Path, chunk: int = 1 << 20) -> int:
    """Copy ``source`` to a new file ``path``, zstd-compressed; returns the bytes read. A
    write that fails (a full disk) raises an OSError naming ``path`` and how much was
    staged.

    >>> import io, tempfile, zstandard
    >>> with tempfile.TemporaryDirectory() as d:
    ...     n = stage_stream(io.BytesIO(b'{"text": "a"}\\n' * 1000), Path(d, "s.zst"), chunk=100)
    ...     data = zstandard.ZstdDecompressor().stream_reader(Path(d, "s.zst").open("rb")).read()
    >>> n, data == b'{"text": "a"}\\n' * 1000
    (14000, True)
    """
    import zstandard

    compressor = zstandard.ZstdCompressor(level=STAGE_LEVEL).compressobj()
    read = written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        while block := source.read(chunk):
            read += len(block)
            data = compressor.compress(block)  # often empty: zstd holds a window
            writers.write_all(fd, data)
            written += len(data)
        writers.write_all(fd, compressor.flush())
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(
            exc.errno,
            f"{exc.strerror or exc}: standard input is staged here, zstd-compressed, and "
            f"needs more than the {written:,} bytes written ({read:,} bytes read so far); "
            "give --work-dir a folder with room (default: TMPDIR)",
            str(path),
        ) from None
    finally:
        os.close(fd)
    return read


def copy_out(path: Path, sink: IO[bytes]) -> None:
    """Copy a staged output to ``sink``, decompressed when it is zstd (by its name)."""
    with path.open("rb") as handle:
        if path.name.endswith(".zst"):
            import zstandard

            with zstandard.ZstdDecompressor().stream_reader(handle) as reader:
                shutil.copyfileobj(reader, sink, 1 << 20)
        else:
            shutil.copyfileobj(handle, sink, 1 << 20)
    sink.flush()


def stdout_gone(stream: IO[str] | None = None) -> None:
    """Standard output's (or ``stream``'s) reader has closed it (``clean - -o - | head
    -n1``): what is left to write there goes to the null device, and the run ends as it
    would have (other Unix tools end quietly too), instead of failing with EPIPE."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, (stream or sys.stdout).fileno())
    finally:
        os.close(devnull)
