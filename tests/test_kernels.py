"""The compiled per-line kernel (cleaner.kernels) gives exactly what the Python reference
gives: keys (persisted in --index), token ids, tokens per line and normalized lines, on any
text; lines it cannot do exactly are left to the reference. Each backend is tested: the
loops compiled at install (cleaner._compiled) and numba's. Plus their loading: the
threshold, numba missing, the character table's cache, and a read-only installation without
a writable home."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from conftest import BACKENDS, WHY_MISSING
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import Config, clean_corpus
from cleaner.compiled import KERNELS_ENV, compiled, loaded
from cleaner.fingerprint import KERNEL_AFTER_LINES, LinePrinter, line_key
from cleaner.kernels import (
    SUPPORTED_BLOCKS,
    Kernels,
    built_char_table,
    char_table,
    load_kernels,
    numba_kernels,
)
from cleaner.text import normalize_line

ROOT = Path(__file__).resolve().parent.parent


def _backend(name: str) -> Kernels | None:
    if name == "compiled":
        module = compiled()
        return None if module is None else Kernels(module.page_prints, char_table())
    return numba_kernels()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if _backend(request.param) is None:
        pytest.skip(WHY_MISSING[request.param])
    return str(request.param)


@contextmanager
def using(name: str) -> Iterator[Kernels]:
    """Printers made inside load this backend's kernel."""
    kernels = _backend(name)
    assert kernels is not None
    with mock.patch("cleaner.kernels.load_kernels", lambda: kernels):
        yield kernels


# What makes most real lines non-ASCII, and the markdown rendered pages carry
COMMON = (
    "’‘‚‛“”„‟«»‹›′″´`–—―‐•●▪◦·…©®™°±×÷€£¥¢§¶†‡№"
    "\u00a0\u2002\u2003\u2009\u200a\u200b\u202f\u3000"
    "àâäáãåçéèêëíìîïñóòôöõøúùûüýÿßæœÀÂÄÁÃÅÇÉÈÊËÍÎÏÑÓÔÖØÚÙÛÜÆŒĳŁłŞşŠšŽžİıđĐ"
    "ΣσςαβγΩωάЖжЯяЁёЙйЇї½¼¾²³¹⁴₂ﬁﬂＢＩＧａ１２！中国人あいアイ한국。、「」"
    "مرحبا،؟١٢٣ שלום हिंदी।०१ ภาษาไทย Հայերեն ქართული"
)
ASCII = "".join(chr(c) for c in range(128) if c != 10)
MARKDOWN = [
    "[",
    "](",
    ")",
    "![",
    "](http://example.com/a_b?x=1&y=2)",
    "**",
    "__",
    "*",
    "_",
    "~~",
    "`",
    "# ",
    "## ",
    "  * ",
    "- ",
    "1. ",
    "> ",
    "| ",
    " | ",
    " |",
    "---|---",
    "   ",
    "08:22",
    "16/06/2024",
    "0007",
]
SUPPORTED_LINE = st.lists(
    st.one_of(st.sampled_from(MARKDOWN), st.text(alphabet=ASCII + COMMON, max_size=12)),
    max_size=12,
).map("".join)
ANY_LINE = st.text(max_size=40).map(lambda s: s.replace("\n", " "))


def reference(lines: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return LinePrinter(-1, kernel_after=-1).page(lines)


def assert_exact(lines: list[str]) -> LinePrinter:
    """The kernel's printer gives the reference's keys, ids and counts, and the reference's
    normalized lines; returns the printer."""
    printer = LinePrinter(-1, kernel_after=0)
    fast = printer.page(lines)
    for got, want in zip(fast, reference(lines), strict=True):
        assert got.dtype == want.dtype
        assert got.tolist() == want.tolist(), lines
    for i, line in enumerate(lines):
        assert printer.normalized(line, i) == normalize_line(line), line
    return printer


def test_the_compiled_loops_are_built_where_a_compiler_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler: the package installs without its compiled loops")
    assert loaded() is not None
    monkeypatch.delenv(KERNELS_ENV, raising=False)  # a run of the suite may switch them off
    assert compiled() is not None
    assert load_kernels() is not None and LinePrinter(-1).kernel_after == 0


def test_the_kernel_loads(backend: str) -> None:
    with using(backend) as kernels:
        prints = kernels.page(["Dernière  mise à jour à 08h22 le 16/06"])
        assert prints is not None and prints.ok.all()
        assert prints.normalized(0) == "dernière mise à jour à 0h0 le 0 / 0"
        assert int(prints.keys[0]) == line_key("dernière mise à jour à 0h0 le 0 / 0")


@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=300)
@given(lines=st.lists(SUPPORTED_LINE, max_size=8))
def test_kernel_equals_reference_on_common_text_and_does_it_itself(
    name: str, lines: list[str]
) -> None:
    if _backend(name) is None:
        pytest.skip(WHY_MISSING[name])
    with using(name) as kernels:
        assert_exact(lines)
        prints = kernels.page(lines)
        assert prints is not None and prints.ok.all()  # no line of these left to the reference


@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=300)
@given(lines=st.lists(st.one_of(ANY_LINE, SUPPORTED_LINE), max_size=8))
def test_kernel_equals_reference_on_any_text(name: str, lines: list[str]) -> None:
    if _backend(name) is None:
        pytest.skip(WHY_MISSING[name])
    with using(name):
        assert_exact(lines)


def test_lines_outside_the_table_are_left_to_the_reference(backend: str) -> None:
    lines = ["plain", "e\u0301te\u0301", "smile 🙂", "lone \ud800 surrogate", "ok «oui»"]
    with using(backend) as kernels:
        prints = kernels.page(lines)
        assert prints is not None
        assert prints.ok.tolist() == [True, False, False, False, True]
        assert_exact(lines)


def test_a_line_holding_a_newline_is_printed_by_the_reference(backend: str) -> None:
    with using(backend) as kernels:
        assert kernels.page(["a\nb", "c"]) is None
        assert_exact(["a\nb", "c"])


def test_every_supported_character_alone_and_among_others(backend: str) -> None:
    table = char_table()
    with using(backend):
        for lo, hi in SUPPORTED_BLOCKS:
            chars = [chr(c) for c in range(lo, hi + 1) if c != 10 and table.start[c] >= 0]
            lines = [f"{c}|a{c}b {c}{c}1É{c}9{c}" for c in chars]
            assert_exact(lines)
    assert table.start[ord("\u0301")] < 0 and table.start[ord("é")] >= 0


def test_the_character_table_is_kept_in_the_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Made once, then read from the cache folder; a damaged file is made again."""
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(tmp_path))
    built = built_char_table()

    def fresh() -> object:
        return char_table.__wrapped__()

    def same(a: object, b: object) -> bool:
        names = ("start", "length", "out_cp", "out_cls")
        arrays = all(np.array_equal(getattr(a, n), getattr(b, n)) for n in names)
        return arrays and getattr(a, "expansion") == getattr(b, "expansion")  # noqa: B009

    assert same(fresh(), built)
    (stored,) = tmp_path.glob("chartable-*.bin")
    assert same(fresh(), built)  # read back
    stored.write_bytes(b"not an archive")
    assert same(fresh(), built)
    assert stored.read_bytes() != b"not an archive"  # written again


def test_no_supported_character_starts_with_a_second_of_a_composition() -> None:
    """Normalizing a line character by character is exact when no character's
    decomposition starts with one that composes with what comes before it."""
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V and T
    for cp in range(0x110000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(int(parts[1], 16))
    table = char_table()
    for cp in np.flatnonzero(table.start >= 0).tolist():
        first = unicodedata.normalize("NFKD", chr(cp))[0]
        assert unicodedata.combining(first) == 0, hex(cp)
        assert ord(first) not in seconds, hex(cp)


def test_the_printer_loads_the_kernel_after_its_threshold(backend: str) -> None:
    with using(backend) as kernels:
        printer = LinePrinter(-1, kernel_after=3)
        printer.page(["a", "b"])
        assert printer.kernels(0) is None
        printer.page(["c", "d"])  # the third and fourth lines: still the reference
        assert printer.kernels(0) is kernels
    never = LinePrinter(-1, kernel_after=-1)
    never.page(["a"] * 10)
    assert never.kernels(0) is None


def test_the_environment_switches_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KERNELS_ENV, "0")
    assert LinePrinter(-1).kernel_after == -1
    monkeypatch.setenv(KERNELS_ENV, "1")
    assert LinePrinter(-1).kernel_after == 0
    monkeypatch.delenv(KERNELS_ENV)
    # from the first line with the loops compiled at install, else after its threshold
    assert LinePrinter(-1).kernel_after == (0 if compiled() is not None else KERNEL_AFTER_LINES)


def test_without_the_compiled_loops_or_numba_the_reference_does_the_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(KERNELS_ENV, raising=False)  # a run of the suite may set it
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    assert numba_kernels.__wrapped__() is None
    monkeypatch.setitem(sys.modules, "cleaner._compiled", None)
    assert loaded.__wrapped__() is None
    missing = {"compiled": lambda: None, "numba_kernels": numba_kernels.__wrapped__}
    with (
        mock.patch.multiple("cleaner.kernels", **missing),
        mock.patch("cleaner.compiled.compiled", lambda: None),
    ):
        assert load_kernels.__wrapped__() is None
        assert LinePrinter(-1).kernel_after == KERNEL_AFTER_LINES


def test_a_read_only_installation_without_a_writable_home_caches_in_tmp(tmp_path: Path) -> None:
    """numba caches beside the module or in the user's cache folder; where it can write
    neither (here: a file where its __pycache__ folder would be, a home that cannot exist),
    the kernel still loads, cached in a folder of the temporary folder. (The compiled loops
    are kept from loading, so numba's kernel is the one loaded.)"""
    if numba_kernels() is None:
        pytest.skip(WHY_MISSING["numba"])
    pkg = tmp_path / "site"
    skip = shutil.ignore_patterns("__pycache__", "_compiled.*.so", "_compiled.*.pyd")
    shutil.copytree(ROOT / "cleaner", pkg / "cleaner", ignore=skip)
    (pkg / "cleaner" / "__pycache__").write_text("not a folder")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(
        HOME="/dev/null/home",
        XDG_CACHE_HOME="/dev/null/cache",
        TMPDIR=str(tmp),
        PYTHONPATH=str(pkg),
        PYTHONDONTWRITEBYTECODE="1",
    )
    code = (
        "import cleaner, json, sys\n"
        "sys.modules['cleaner._compiled'] = None\n"
        "from cleaner.fingerprint import LinePrinter\n"
        "p = LinePrinter(-1, kernel_after=0)\n"
        "keys = p.page(['L’État,  «le» ＢＩＧ 2024'])[0]\n"
        "print(json.dumps([cleaner.__file__, p.kernels(0) is not None, int(keys[0])]))\n"
    )
    for _ in range(2):  # compiled, then read from that cache
        run = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
        where, loaded, key = json.loads(run.stdout)
        assert Path(where).is_relative_to(pkg) and loaded
        assert key == line_key(normalize_line("L’État,  «le» ＢＩＧ 2024"))
    cached = list(tmp.glob("cleaner-numba-*/**/*.nbi"))
    assert cached, list(tmp.rglob("*"))


def _without_timings(report: Path) -> str:
    return re.sub(r'"timings": \{[^}]*\}', "", report.read_text(encoding="utf-8"))


def test_a_run_with_the_kernel_writes_what_a_run_without_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    nav = "Home | News | Sport | Météo — «Édition» ©2024"
    for n in range(6):
        body = [
            nav,
            f"## Le conseil s’est réuni le {n + 1}/06 à 08h{n}0 — “débat” animé",
            "The council met on Tuesday to discuss the harbour and agreed to repair it.",
            f"  * [Lire la suite](/article/{n}) • **{n}** commentaires",
            "e\u0301te\u0301 🙂 left to the reference",
            "| Tableau | Données |",
            "中国和美国举行了第二次对话。",
        ]
        (pages / f"{n}.txt").write_text("\n".join(body) + "\n", encoding="utf-8")
    runs = {}
    for setting in ("0", "1"):
        monkeypatch.setenv(KERNELS_ENV, setting)
        out = tmp_path / f"out{setting}"
        clean_corpus([pages], out, config=Config(), jobs=1, report=tmp_path / f"r{setting}.json")
        runs[setting] = (
            {p.name: p.read_bytes() for p in out.iterdir()},
            _without_timings(tmp_path / f"r{setting}.json"),
        )
    assert runs["0"] == runs["1"]
    assert any(runs["1"][0].values())


def test_a_page_that_grows_past_its_first_buffers(backend: str) -> None:
    """Text that expands (½ becomes three tokens, 0 ⁄ 0) outgrows the arrays the kernel
    starts with; they grow."""
    lines = ["½" * 3000, "x", "½ ﬁ ™ " * 500, "é" * 5000]
    with using(backend) as kernels:
        printer = assert_exact(lines)
        assert printer.kernels(0) is kernels
        prints = kernels.page(lines)
        assert prints is not None and prints.ok.all()
