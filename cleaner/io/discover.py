"""Finding input files: folders walked in sorted order (links followed, each folder read
once), URL inputs listed through fsspec, and each file's output name settled (two files
never share one)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..models import Source
from .location import LocationError, is_url, url_fs
from .naming import name_kind, output_name
from .records import LABELS
from .writers import plain_relative, safe_parts


@dataclass
class Discovery:
    """The inputs found under the given paths, with the notices and errors met."""

    sources: list[Source] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # told to the user, not errors
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)


def _is_within(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
    except ValueError:
        return False
    return True


def _folder_id(path: Path) -> tuple[int, int] | str:
    """What makes a folder the same folder whatever the links to it: its device and
    inode, or (when it cannot be read) its resolved path."""
    try:
        st = path.stat()
    except OSError:
        return str(path.resolve())
    return (st.st_dev, st.st_ino)


# A file found under an input: its folder (as ``str(path.parent)`` spells it; "." for a
# URL input) and name, its relative output name, its URL when it is read through fsspec,
# and whether it is a regular file (or a link to one; None: not known, a URL's listing).
Candidate = tuple[str, str, str, str | None, bool | None]


def _url_candidates(root: str, several: bool, found: Discovery) -> list[Candidate]:
    """Every file under a URL input, sorted; none (with the error recorded) when it cannot
    be listed."""
    if not is_url(root):
        found.errors.append((root, "not a URL"))
        return []
    try:
        fs, path = url_fs(root)
        if not fs.exists(path):
            found.errors.append((root, "no such file or folder"))
            return []
        if fs.isfile(path):
            name = path.rstrip("/").rsplit("/", 1)[-1]
            return [(".", name, name, root, None)]
        base = path.rstrip("/")
        files = sorted(fs.find(base, withdirs=False))
    except LocationError as exc:
        found.errors.append((root, str(exc)))
        return []
    except OSError as exc:
        found.errors.append((root, f"cannot be listed: {exc.strerror or exc}"))
        return []
    top = base.rsplit("/", 1)[-1] or "_"
    out: list[Candidate] = []
    for item in files:
        rel = item[len(base) :].lstrip("/")
        if several:
            rel = f"{top}/{rel}"
        out.append((".", rel.rsplit("/", 1)[-1], rel, fs.unstrip_protocol(item), None))
    return out


def _local_candidates(
    root: Path, several: bool, out_resolved: Path | None, found: Discovery
) -> Iterator[Candidate]:
    """Every file under a local input (folders walked in sorted order, the output folder
    skipped), a folder at a time; none (with the error recorded) when the input is missing
    or odd."""
    if not root.exists() and not root.is_symlink():
        found.errors.append((str(root), "no such file or folder"))
        return
    if root.is_file():
        yield (str(root.parent), root.name, root.name, None, True)
        return
    if not root.is_dir():
        found.errors.append((str(root), "not a regular file or folder"))
        return
    base = root.resolve()
    top = f"{base.name}/" if several else ""

    def unlisted(exc: OSError) -> None:
        found.errors.append((str(exc.filename), f"cannot be listed: {exc.strerror or exc}"))

    # Folder links are followed (as find -L does), each folder read once: a link to a
    # folder inside the input is skipped (the folder is read where it is), and so is a
    # link to a folder read already (a loop, or a second link to one folder).
    seen = {_folder_id(root)}
    for dirpath, dirnames, files in _walk(str(root), unlisted):
        here = Path(dirpath)
        keep_dirs = []
        for d in sorted(dirnames):
            sub = (here / d).resolve()
            if out_resolved is not None and sub == out_resolved:
                found.notices.append(f"skipping {here / d}: it is the output folder")
                continue
            link = (here / d).is_symlink()
            if link and _is_within(sub, base):
                found.notices.append(f"skipping link {here / d}: its folder {sub} is read in place")
                continue
            key = _folder_id(here / d)
            if key in seen:
                found.notices.append(f"skipping {here / d}: folder {sub} is read already")
                continue
            seen.add(key)
            keep_dirs.append(d)
        dirnames[:] = keep_dirs
        # the folder's names once; each file's by joining strings
        folder = str(here)
        inner = here.relative_to(root).as_posix()
        prefix = top if inner == "." else f"{top}{inner}/"
        for name, regular in sorted(files):
            yield (folder, name, prefix + name, None, regular)


def _walk(
    top: str, onerror: Callable[[OSError], None]
) -> Iterator[tuple[str, list[str], list[tuple[str, bool]]]]:
    """``os.walk(top, onerror=onerror, followlinks=True)``, top-down, with each file's
    name and whether it is a regular file (or a link to one) as the folder's listing tells
    it: no ``stat`` a file where the file system gives its type. The caller may prune the
    folder names it is given, as with ``os.walk``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     os.makedirs(os.path.join(d, "sub"))
    ...     for name in ("a.txt", "sub/b.txt"):
    ...         open(os.path.join(d, name), "w").close()
    ...     os.symlink("missing", os.path.join(d, "gone.txt"))
    ...     [(os.path.relpath(p, d), sub, sorted(files)) for p, sub, files in _walk(d, print)]
    [('.', ['sub'], [('a.txt', True), ('gone.txt', False)]), ('sub', [], [('b.txt', True)])]
    """
    stack = [top]
    while stack:
        path = stack.pop()
        dirs: list[str] = []
        files: list[tuple[str, bool]] = []
        try:
            with os.scandir(path) as listing:
                for entry in listing:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    if is_dir:
                        dirs.append(entry.name)
                        continue
                    try:
                        regular = entry.is_file()
                    except OSError:
                        regular = False
                    files.append((entry.name, regular))
        except OSError as exc:
            onerror(exc)
            continue
        yield path, dirs, files
        stack.extend(os.path.join(path, d) for d in reversed(dirs))


def _key(output: str) -> str:
    """The output path a relative output name lands on (``a\\b.txt`` and ``a/b.txt`` on one).

    >>> _key("a/b.txt"), _key("a" + chr(92) + "b.txt"), _key("./a//b.txt"), _key(".a/..b.txt")
    ('a/b.txt', 'a/b.txt', 'a/b.txt', '.a/..b.txt')
    """
    if plain_relative(output):
        return output  # no part of it is empty, "." or "..": it lands on itself
    name = "/".join(safe_parts(output))
    return output if name == output else name  # one string for both: a run lists every input


def _rename(named: list[tuple[str, Source]], source: Source, output: str) -> Source:
    """Give ``source`` (met recently: searched from the end) the output name ``output``."""
    for i in range(len(named) - 1, -1, -1):
        if named[i][1] is source:
            named[i] = (output, replace(source, output=output))
            return named[i][1]
    raise ValueError(f"{source.rel} was not listed")


def discover(inputs: Sequence[Path | str], out: Path | None) -> Discovery:
    """Every page under ``inputs`` (folders walked recursively, sorted), skipping ``out``.
    An input given as a URL (``s3://bucket/crawl/``) is listed and read through fsspec."""
    found = Discovery()
    out_resolved = out.resolve() if out is not None else None
    several = len(inputs) > 1
    named: list[tuple[str, Source]] = []  # (output name, source): sorted by output name
    seen: dict[str, Source] = {}  # the output names taken, and by which input
    skipped_other = 0
    for root in inputs:
        candidates: Iterable[Candidate]
        if isinstance(root, str):
            candidates = _url_candidates(root, several, found)
        else:
            candidates = _local_candidates(root, several, out_resolved, found)
        for folder, filename, rel, url, regular in candidates:
            kind = name_kind(filename)
            if kind is None:
                skipped_other += 1
                continue
            if url is None and not regular:
                broken = str(Path(folder, filename))
                found.errors.append((broken, "not a regular file (broken link?)"))
                continue
            # two names that land on one output path (a\b.txt and a/b.txt) collide too
            output = output_name(rel)
            name = _key(output)
            source = Source.at(folder, filename, rel, kind, url)
            if name in seen:
                # an HTML page and a page of its output name (x.html, x.txt): the HTML page's
                # output keeps its whole name (x.html.txt), whichever was met first
                other = seen[name]
                if kind == "html" and _key(apart := rel + ".txt") not in seen:
                    output, name = apart, _key(apart)
                    source = Source.at(folder, filename, rel, kind, url, apart)
                elif (
                    other.kind == "html"
                    and other.output is None
                    and (_key(moved := other.rel + ".txt") not in seen)
                ):
                    seen[_key(moved)] = _rename(named, other, moved)
                else:
                    taken = other.location
                    where = url if url is not None else str(Path(folder, filename))
                    found.errors.append((where, f"its output name {name} is taken by {taken}"))
                    continue
            seen[name] = source
            named.append((output, source))
    if skipped_other:
        found.notices.append(
            f"skipped {skipped_other} file(s) that are not pages (.txt/.md/.html) "
            f"or record files ({LABELS})"
        )
    named.sort(key=lambda item: item[0])
    found.sources = [source for _, source in named]
    return found
