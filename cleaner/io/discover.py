"""Finding input files: folders walked in sorted order (links followed, each folder read
once), URL inputs listed through fsspec, and each file's output name settled (two files
never share one)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..models import Source
from .location import LocationError, is_url, url_fs
from .naming import file_kind, output_name
from .records import LABELS
from .writers import safe_parts


@dataclass
class Discovery:
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


# A file found under an input: its path (for a URL input, a path of its name only), its
# relative output name, and its URL when it is read through fsspec.
Candidate = tuple[Path, str, str | None]


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
            return [(Path(name), name, root)]
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
        out.append((Path(rel.rsplit("/", 1)[-1]), rel, fs.unstrip_protocol(item)))
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
        yield (root, root.name, None)
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
    for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted, followlinks=True):
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
        # the folder's relative name once; each file's by joining strings
        inner = here.relative_to(root).as_posix()
        prefix = top if inner == "." else f"{top}{inner}/"
        for name in sorted(filenames):
            yield (here / name, prefix + name, None)


def _key(output: str) -> str:
    """The output path a relative output name lands on (``a\\b.txt`` and ``a/b.txt`` on one)."""
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
        for path, rel, url in candidates:
            kind = file_kind(path)
            if kind is None:
                skipped_other += 1
                continue
            if url is None and not path.is_file():
                found.errors.append((str(path), "not a regular file (broken link?)"))
                continue
            where = path if url is None else url
            # two names that land on one output path (a\b.txt and a/b.txt) collide too
            output = output_name(rel)
            name = _key(output)
            source = Source.of(path, rel, kind, url)
            if name in seen:
                # an HTML page and a page of its output name (x.html, x.txt): the HTML page's
                # output keeps its whole name (x.html.txt), whichever was met first
                other = seen[name]
                if kind == "html" and _key(apart := rel + ".txt") not in seen:
                    output, name = apart, _key(apart)
                    source = Source.of(path, rel, kind, url, apart)
                elif (
                    other.kind == "html"
                    and other.output is None
                    and (_key(moved := other.rel + ".txt") not in seen)
                ):
                    seen[_key(moved)] = _rename(named, other, moved)
                else:
                    taken = other.location
                    found.errors.append((str(where), f"its output name {name} is taken by {taken}"))
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
