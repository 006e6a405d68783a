"""Atomic writes: a file is either absent, its old self, or complete.

Every output goes to a temporary file beside its target, named ``.NAME.XXXXXXXX.part``,
and is renamed into place when complete. A run stopped by a signal removes its temporary
files on the way out; one killed outright (``kill -9``, power loss) may leave some, which
the next run over the same output folder removes (:func:`remove_partial_files`).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

# What temp_beside names (and tempfile.mkstemp, 8 characters from [a-z0-9_]): nothing else
# under OUT is ever taken for a partial file.
PARTIAL_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.part$", re.DOTALL)


def temp_beside(path: Path) -> tuple[int, Path]:
    """Create a new empty temporary file in ``path``'s folder (made if needed), open for
    writing; returns its descriptor and path. Unlike ``tempfile.mkstemp`` (mode 0600) the
    file gets the mode a plain ``open`` would give it (0666 less the umask), which the
    rename then hands to the output.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     fd, tmp = temp_beside(Path(d, "new", "a.txt"))
    ...     os.close(fd)
    ...     fd, other = temp_beside(Path(d, "new", "a.txt"))  # the first name is taken
    ...     os.close(fd)
    ...     tmp.parent.name, is_partial(tmp), is_partial(other), other != tmp
    ('new', True, True, True)
    """
    fd, tmp = _open_temp(os.fspath(path))
    return fd, Path(tmp)


_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _open_temp(target: str) -> tuple[int, str]:
    """:func:`temp_beside` of a path given as a string (pathlib left out: a run opens one
    per page it writes)."""
    folder, name = os.path.split(target)
    stem = name[:40]  # the name must stay under the file system's limit
    # the first name tried is the process's id, which no other process running here has (a
    # run names a file per page: no system call for randomness); a name taken (a file left
    # by a killed run, a second temporary file for one target) is followed by random ones
    tag = f"{os.getpid() & 0xFFFFFFFF:08x}"
    for attempt in range(100):
        if attempt:
            tag = os.urandom(4).hex()
        tmp = os.path.join(folder, f".{stem}.{tag}.part")
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o666), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            # the folder is made on its first file only: most outputs share one (another
            # worker may be making it at the same moment: exist_ok)
            Path(folder).mkdir(parents=True, exist_ok=True)
            try:
                return os.open(tmp, _TEMP_FLAGS, 0o666), tmp
            except FileExistsError:
                continue
    raise FileExistsError(f"no free temporary name beside {target}")


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     atomic_write_text(Path(d, "x", "a.txt"), "é\\n")
    ...     Path(d, "x", "a.txt").read_bytes(), os.listdir(Path(d, "x"))
    (b'\\xc3\\xa9\\n', ['a.txt'])
    """
    data = text.encode("utf-8")  # before the file exists: text that cannot be written fails
    atomic_write_bytes(path, data)


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` (a Path, or a string where a caller writes one file per
    page) through a temporary file and a rename, as :func:`atomic_write_text`."""
    target = os.fspath(path)
    fd, tmp = _open_temp(target)
    try:
        try:
            write_all(fd, data)
            os.close(fd)
            fd = -1
        except OSError as exc:
            named = _named(exc, path)
            if named is exc:
                raise
            raise named from exc
        os.replace(tmp, target)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class WriteBatch:
    """Outputs held and written together (each atomically, as :func:`atomic_write_text`)
    once they hold ``limit`` characters, and by :meth:`flush`. Creating a file costs the
    kernel far more when it comes between pages than in a run of creations (the caches
    the processing had warm are cold again for both), so a worker writes its outputs a
    batch at a time; the batch bounds the memory this holds.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     batch = WriteBatch(limit=4)
    ...     batch.add(Path(d, "a.txt"), "ab")
    ...     before = os.listdir(d)
    ...     batch.add(Path(d, "b.txt"), "cde")  # 5 characters held: both written
    ...     batch.add(Path(d, "c.txt"), "f")
    ...     middle = sorted(os.listdir(d))
    ...     batch.flush()
    ...     before, middle, sorted(os.listdir(d))
    ([], ['a.txt', 'b.txt'], ['a.txt', 'b.txt', 'c.txt'])
    """

    def __init__(self, limit: int = 1 << 22) -> None:
        self.limit = limit
        self.items: list[tuple[Path | str, str | bytes]] = []
        self.held = 0

    def add(self, path: Path | str, text: str | bytes) -> None:
        """Hold an output: its text, or the text encoded as UTF-8 already (bytes)."""
        self.items.append((path, text))
        self.held += len(text)
        if self.held >= self.limit:
            self.flush()

    def flush(self) -> None:
        items, self.items, self.held = self.items, [], 0
        for path, text in items:
            if isinstance(text, bytes):
                atomic_write_bytes(path, text)
            else:
                atomic_write_text(path, text)


class AtomicTextFile:
    """A text file written a chunk at a time to a temporary file beside ``path`` (with the
    mode a plain ``open`` gives), renamed into place by :meth:`commit`; :meth:`abort`
    removes it. A failed write (a full disk) names ``path``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = AtomicTextFile(Path(d, "r.json"), chunk=2)
    ...     f.write("{"); f.write("}\\n")
    ...     during = [is_partial(Path(n)) for n in os.listdir(d)]
    ...     f.commit()
    ...     during, os.listdir(d), Path(d, "r.json").read_text()
    ([True], ['r.json'], '{}\\n')
    """

    def __init__(self, path: Path, chunk: int = 1 << 20) -> None:
        self.path = path
        self.chunk = chunk
        self._fd, self._tmp = temp_beside(path)
        self._parts: list[str] = []
        self._held = 0

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._held += len(text)
        if self._held >= self.chunk:
            self._flush()

    def _flush(self) -> None:
        data = "".join(self._parts).encode("utf-8")
        self._parts, self._held = [], 0
        with naming(self.path):
            write_all(self._fd, data)

    def commit(self) -> None:
        self._flush()
        os.close(self._fd)
        self._fd = -1
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        with contextlib.suppress(OSError):
            os.unlink(self._tmp)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to the descriptor (``os.write`` may take part of it)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """Give an OSError without a file name (a failed ``write``, such as a full disk) the
    name of the output it was for, so that its one-line message says where.

    >>> with naming(Path("out/a.txt")):
    ...     raise OSError(28, "No space left on device")
    Traceback (most recent call last):
    OSError: [Errno 28] No space left on device: 'out/a.txt'
    """
    try:
        yield
    except OSError as exc:
        named = _named(exc, path)
        if named is exc:
            raise
        raise named from exc


def _named(exc: OSError, path: Path | str) -> OSError:
    """``exc``, or (when it names no file) the same error naming ``path``."""
    if exc.filename is not None or exc.errno is None:
        return exc
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def is_partial(path: Path) -> bool:
    """Whether a file name is one of our temporary files.

    >>> is_partial(Path(".a.txt.1f2e3d4c.part")), is_partial(Path(".notes.part"))
    (True, False)
    """
    return bool(PARTIAL_NAME.match(path.name))


def remove_partial_files(out: Path) -> int:
    """Delete the temporary files an interrupted run left under ``out``; returns how many."""
    removed = 0
    for dirpath, _dirnames, filenames in os.walk(out):
        for name in filenames:
            path = Path(dirpath, name)
            if is_partial(path) and not path.is_symlink() and path.is_file():
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
    return removed


def plain_relative(rel: str) -> bool:
    """Whether :func:`safe_parts` leaves ``rel`` as it is (no backslash, no empty, ``.`` or
    ``..`` part): tested at a few string searches, where splitting costs a list.

    >>> plain_relative("a/b.txt"), plain_relative("a//b"), plain_relative(".a"), plain_relative("")
    (True, False, False, False)
    """
    return (
        bool(rel)
        and not rel.startswith((".", "/"))
        and not rel.endswith("/")
        and "/." not in rel
        and "//" not in rel
        and "\\" not in rel
    )


def safe_parts(rel: str) -> list[str]:
    """The path parts of a relative name as :func:`safe_join` uses them.

    >>> safe_parts("a\\\\b/./../c.txt")
    ['a', 'b', 'c.txt']
    """
    return [p for p in rel.replace("\\", "/").split("/") if p not in ("", ".", "..")]


def safe_join(root: Path, rel: str) -> Path:
    """``root / rel``, refusing anything that would land outside ``root``: empty, ``.`` and
    ``..`` parts are dropped, backslashes count as separators and a leading ``/`` does not
    make the name absolute.

    >>> safe_join(Path("/out"), "a/b.txt").as_posix()
    '/out/a/b.txt'
    >>> safe_join(Path("/out"), "../../etc/x").as_posix()
    '/out/etc/x'
    >>> safe_join(Path("/out"), "/abs\\\\..\\\\x").as_posix()
    '/out/abs/x'
    >>> safe_join(Path("/out"), "..").as_posix()
    '/out/_'
    """
    parts = safe_parts(rel)
    return root.joinpath(*parts) if parts else root / "_"


def safe_join_text(root: str, rel: str) -> str:
    """:func:`safe_join` as a string, of a folder given as one (``os.fspath`` of a Path):
    no Path is built, for the callers that name a file per page.

    >>> safe_join_text("/out", "a/../b.txt"), safe_join_text(".", "a\\\\b")
    ('/out/a/b.txt', 'a/b')
    >>> safe_join_text("out", "..")
    'out/_'
    """
    if os.sep != "/":
        return os.fspath(safe_join(Path(root), rel))
    if plain_relative(rel) and root not in ("", ".") and not root.endswith("/"):
        return root + "/" + rel  # most names: nothing to take out
    parts = safe_parts(rel) or ["_"]
    if root in ("", "."):  # as pathlib joins: "a", not "./a"
        return "/".join(parts)
    return root + ("" if root.endswith("/") else "/") + "/".join(parts)  # os.path.join's
