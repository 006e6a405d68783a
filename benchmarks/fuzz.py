"""Fuzzing of the page readers: generated inputs go through decoding, record parsing, HTML
extraction, segmentation, fingerprints, line decisions and output naming. None may raise
(or hang): a bad input must come back as a page with an error, or as lines.

    python benchmarks/fuzz.py [--inputs 1000000] [--seconds S] [--jobs 2] [--seed 0]
                              [--html-share 0.04] [--replay N]

Each input is generated from (seed, its number) alone, so a finding replays on its own
(``--replay N``). Generators: mutated text pages (real pages cut to a small window, bytes
changed, markup spliced in), random bytes, escape codes and control characters in file
names and in text, broken JSON Lines records (plain, gzip and zstd, cut short), Parquet
files (damaged, without the text column, odd types), WARC records (cut, lying lengths,
odd headers), HTML nested deep and mutated HTML pages (the last three go through
trafilatura: ``--html-share`` of the inputs). Most inputs are small and take the cheap
layers (about 1.4 ms of CPU each, so a million take about 1,400 core-seconds);
``--jobs`` processes share them.

Prints the inputs tried per generator, the time and every crash or hang; each one is saved
under --crash-dir with its input (and a .txt beside it: file name, generator, traceback).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

import numpy as np

from cleaner import Config
from cleaner.dedup import GroupTable
from cleaner.io.naming import file_kind, output_name
from cleaner.io.records import RecordKeys
from cleaner.io.writers import safe_join
from cleaner.models import Source
from cleaner.pages import load_pages
from cleaner.report.names import page_name
from cleaner.steps.context import RunContext, WorkerMemo
from cleaner.steps.decide import decide_page

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = [
    b"<div>",
    b"</div>",
    b"<p>",
    b"<script>",
    b"</script>",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"&amp;",
    b"&#x0;",
    b"&#9999999;",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\r",
    b"\n" * 50,
    b"<meta charset='utf-16'>",
    b"<table><tr><td>",
    b"![](x) |",
    b"| a | b |",
    b"# ",
    "\u202e\u200b\ufeff".encode(),
    "中文。".encode(),
    b"<" * 200,
    b"a" * 5000,
]
# terminal escape sequences and control characters, for names, ids and text
ESCAPES = [
    "\x1b]0;PWNED\x07",
    "\x1b[2J",
    "\x1b[31m",
    "\x1bP+q\x1b\\",
    "\x9b2J",
    "\x07",
    "\x08",
    "\r",
    "\t",
    "\x7f",
    "\x85",
    "\u2028",
    "\u202e",
    "\ufeff",
    "\ud800",
    "\x00",
]
SENTENCE = (
    "The committee met on Tuesday to discuss the future of the old harbour, and after a "
    "long debate the members agreed to ask the town for more money to repair the walls."
)
TEXT_SUFFIXES = [".txt", ".md", ".TXT"]
HTML_WRAP = "<html><head><title>{t}</title></head><body>{b}</body></html>"


@dataclass
class State:
    """What one worker process keeps between inputs: the corpus of real pages, a
    language model loaded once, a folder for the input files."""

    pages: list[bytes]
    html_pages: list[bytes]
    parquets: list[bytes]
    config: Config
    ctx: RunContext
    memo: WorkerMemo
    tmp: Path
    html_share: float


_STATE: State | None = None  # per worker process, set by its initializer


def real_pages() -> tuple[list[bytes], list[bytes]]:
    text = [p.read_bytes() for p in sorted((ROOT / "seeds").glob("*.txt"))]
    data = ROOT / "tests" / "data"
    text += [p.read_bytes() for p in sorted(data.rglob("*.txt"))]
    html = [p.read_bytes() for p in sorted(data.glob("*.html"))]
    return text, html


def parquet_bases() -> list[bytes]:
    """Small Parquet files: well formed, without a text column, with odd types."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [
        pa.table({"id": ["a", "b"], "text": [SENTENCE, "Menu\n" + SENTENCE]}),
        pa.table({"id": [1, 2], "body": [SENTENCE, None]}),
        pa.table({"id": ["x"], "text": pa.array([{"a": 1}])}),
        pa.table({"text": pa.array([None, SENTENCE, ""], pa.string())}),
        pa.table({"id": ["\x1b]0;PWNED\x07"], "text": [b"\xff\xfe bytes"]}),
        pa.table({"id": pa.array([[1, 2]]), "text": pa.array([[SENTENCE]])}),
        pa.table({"id": ["e"], "text": [SENTENCE * 50]}),
    ]
    out = []
    for table in tables:
        buf = io.BytesIO()
        pq.write_table(table, buf)
        out.append(buf.getvalue())
    return out


def init_worker(html_share: float, extractor: str = "trafilatura") -> None:
    global _STATE
    text, html = real_pages()
    config = Config(extractor=extractor)
    empty = GroupTable(*(np.empty(0, t) for t in (np.uint64, np.uint64, np.int64, np.int64)))
    tmp = Path(tempfile.mkdtemp(prefix="cleaner-fuzz-"))
    # removed when the process ends (a pool worker ends without running atexit handlers)
    Finalize(None, shutil.rmtree, args=(tmp,), kwargs={"ignore_errors": True}, exitpriority=0)
    ctx = RunContext(config, tmp, RecordKeys(), None, empty, 2)
    memo = WorkerMemo(config.near_dup_max_chars)  # one language model for all inputs
    _STATE = State(text, html, parquet_bases(), config, ctx, memo, tmp, html_share)


# -- generators: each returns (file name, bytes, record keys) ---------------------------------


def mutate(rng: random.Random, data: bytes, max_ops: int = 8) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, max_ops)):
        op = rng.randrange(6)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            buf[pos:pos] = rng.choice(SNIPPETS)
        elif op == 2:
            del buf[pos : pos + rng.randint(1, 200)]
        elif op == 3:
            buf = buf[: rng.randrange(len(buf) + 1)]
        elif op == 4:
            buf[pos:pos] = rng.choice(ESCAPES).encode("utf-8", "surrogatepass")
        else:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 64))
    return bytes(buf)


def window(rng: random.Random, data: bytes, size: int = 2000) -> bytes:
    """A small piece of a real page: inputs stay small, so the cheap layers stay cheap."""
    start = rng.randrange(max(1, len(data) - size))
    return data[start : start + rng.randint(0, size)]


def hostile_text(rng: random.Random, n: int = 6) -> str:
    parts = []
    for _ in range(rng.randint(1, n)):
        parts.append(rng.choice([SENTENCE, "# Title", "Menu", "", rng.choice(ESCAPES) * 3]))
        parts.append(rng.choice([*ESCAPES, "\n", " "]))
    return "".join(parts)


def hostile_name(rng: random.Random, suffix: str) -> str:
    """A legal POSIX file name (no '/', no NUL, at most 255 bytes) with escape codes."""
    escapes = [e for e in ESCAPES if e not in ("\x00", "\ud800")]
    stem = "".join(rng.choice([*escapes, "a", "é", "中", " ", "..", "\\"]) for _ in range(8))
    name = (stem + suffix).replace("/", "_")
    while len(name.encode()) > 255:
        name = name[1:]
    return name


def gen_text(rng: random.Random, st: State) -> tuple[str, bytes, RecordKeys]:
    data = mutate(rng, window(rng, rng.choice(st.pages)))
    return "page" + rng.choice(TEXT_SUFFIXES), data, RecordKeys()


def gen_bytes(rng: random.Random, st: State) -> tuple[str, bytes, RecordKeys]:
    data = rng.randbytes(rng.choice([0, 1, 2, 3, 16, 256, 4096]))
    return "page" + rng.choice(TEXT_SUFFIXES), data, RecordKeys()


def gen_escapes(rng: random.Random, st: State) -> tuple[str, bytes, RecordKeys]:
    text = hostile_text(rng, 12).encode("utf-8", "surrogatepass")
    return hostile_name(rng, rng.choice(TEXT_SUFFIXES)), text, RecordKeys()


def json_value(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            0,
            1.5e308,
            True,
            "",
            SENTENCE,
            hostile_text(rng),
            [SENTENCE],
            {"nested": SENTENCE},
            "x" * rng.randint(0, 3000),
            "\ud800" + SENTENCE,
        ]
    )


def gen_jsonl(rng: random.Random, st: State) -> tuple[str, bytes, RecordKeys]:
    lines = []
    for n in range(rng.randint(0, 6)):
        obj: Any = {"id": rng.choice([n, hostile_text(rng, 2), None, [n]]), "text": json_value(rng)}
        if rng.random() < 0.2:
            obj["html"] = rng.choice([f"<p>{SENTENCE}</p>", 7, "<" * 50])
        if rng.random() < 0.1:
            obj = rng.choice([[obj], "text", 3, None])
        line = json.dumps(obj, ensure_ascii=rng.random() < 0.5)
        if rng.random() < 0.15:
            line = line[: rng.randrange(len(line) + 1)]  # a record cut short
        lines.append(line)
    data = "\n".join(lines).encode("utf-8", "surrogatepass") + rng.choice([b"", b"\n", b"\r\n"])
    if rng.random() < 0.1:
        data = mutate(rng, data, 3)
    compression = rng.choice(["", "", ".gz", ".zst"])
    if compression == ".gz":
        data = gzip.compress(data)
    elif compression == ".zst":
        import zstandard

        data = zstandard.ZstdCompressor().compress(data)
    if compression and rng.random() < 0.4:
        data = data[: rng.randrange(len(data) + 1)]  # a compressed stream cut short
    keys = RecordKeys(html="html") if rng.random() < 0.2 else RecordKeys()
    return rng.choice(["r.jsonl", "r.ndjson"]) + compression, data, keys


def gen_parquet(rng: random.Random, st: State) -> tuple[str, bytes, RecordKeys]:
    data = rng.choice(st.parquets)
    if rng.random() < 0.7:
        data = mutate(rng, data, 4)
    keys = rng.choice([RecordKeys(), RecordKeys(text="body"), RecordKeys(id="text")])
    return "r.parquet", data, keys


def warc_record(rng: random.Random, html: bytes) -> bytes:
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    uri = rng.choice(["http://example.com/a", hostile_text(rng, 2), ""]).encode("utf-8", "replace")
    length = len(body) + rng.choice([0, 0, 0, -5, 7, -len(body) - 1, 10**12])
    head = (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
        b"WARC-Target-URI: " + uri + b"\r\nContent-Type: application/http; msgtype=response\r\n"
        b"Content-Length: " + str(length).encode() + b"\r\n\r\n"
    )
    return head + body + b"\r\n\r\n"


def gen_warc(rng: random.Random, st: State) -> tuple[str, bytes, RecordKeys]:
    pages = [
        f"<p>{SENTENCE}</p>".encode(),
        b"",
        b"<" * 100,
        hostile_text(rng).encode("utf-8", "replace"),
    ]
    data = b"".join(warc_record(rng, rng.choice(pages)) for _ in range(rng.randint(0, 3)))
    if rng.random() < 0.5:
        data = mutate(rng, data, 3)
    if rng.random() < 0.3:
        return (
            "c.warc.gz",
            gzip.compress(data)[: rng.choice([None, rng.randrange(len(data) + 30)])],
            RecordKeys(),
        )
    return "c.warc", data, RecordKeys()


def gen_deep_html(rng: random.Random, st: State) -> tuple[str, bytes, RecordKeys]:
    # parsing 20,000 levels takes about a second: the deepest are rare
    depth = rng.choices([10, 100, 1000, 5000, 20_000], weights=[40, 30, 20, 8, 2])[0]
    tag = rng.choice(["div", "span", "p", "li", "table", "b"])
    closed = rng.random() < 0.5
    body = f"<{tag}>" * depth + SENTENCE + (f"</{tag}>" * depth if closed else "")
    return "deep.html", HTML_WRAP.format(t="t", b=body).encode(), RecordKeys()


def gen_html(rng: random.Random, st: State) -> tuple[str, bytes, RecordKeys]:
    if rng.random() < 0.5 and st.html_pages:
        data = mutate(rng, window(rng, rng.choice(st.html_pages), 6000))
    else:
        blocks = "".join(
            f"<{t}>{hostile_text(rng, 3)}</{t}>"
            for t in rng.choices(["p", "div", "li", "h1", "td", "script", "nav", "pre"], k=8)
        )
        data = HTML_WRAP.format(t=hostile_text(rng, 1), b=blocks).encode("utf-8", "surrogatepass")
    name = hostile_name(rng, ".html") if rng.random() < 0.2 else "page.html"
    return name, data, RecordKeys()


CHEAP: list[tuple[str, Callable[..., tuple[str, bytes, RecordKeys]], int]] = [
    ("text", gen_text, 40),
    ("bytes", gen_bytes, 15),
    ("escapes", gen_escapes, 15),
    ("jsonl", gen_jsonl, 18),
    ("parquet", gen_parquet, 6),
    ("warc", gen_warc, 6),
]
COSTLY: list[tuple[str, Callable[..., tuple[str, bytes, RecordKeys]], int]] = [
    ("html", gen_html, 3),
    ("deep-html", gen_deep_html, 1),
]


def generate(seed: int, n: int, st: State) -> tuple[str, str, bytes, RecordKeys]:
    """Input number ``n`` of the run with ``seed``: (generator, file name, bytes, keys)."""
    rng = random.Random(f"{seed}:{n}")
    table = COSTLY if rng.random() < st.html_share else CHEAP
    kind, gen, _w = rng.choices(table, weights=[w for *_x, w in table])[0]
    name, data, keys = gen(rng, st)
    return kind, name, data, keys


class Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Hang("no result within the time limit")


def run_one(name: str, data: bytes, keys: RecordKeys, st: State) -> None:
    """The layers a page goes through in a run, on one input; raises on a defect."""
    folder = st.tmp / "in"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    try:
        kind = file_kind(path) or "text"
        rel = "sub/" + name
        source = Source(str(folder), name, "sub/", kind, None)
        out = safe_join(st.tmp / "out", output_name(rel))
        if not out.is_relative_to(st.tmp / "out"):
            raise AssertionError(f"output name {out} leaves the output folder")
        for page in load_pages(source, st.config, keys, st.memo.printer, langid=st.memo.langid):
            result = decide_page(page, st.ctx, st.memo)
            if page.error is None and len(result.lines) != len(page.lines):
                raise AssertionError("a decision per line")
            page_name(page.rel, page.id)
    finally:
        path.unlink(missing_ok=True)


def run_chunk(
    seed: int, start: int, count: int, crash_dir: str, limit: float, stop_at: float | None
) -> dict[str, Any]:
    st = _STATE
    assert st is not None
    tried: Counter[str] = Counter()
    findings: list[str] = []
    signal.signal(signal.SIGALRM, _alarm)
    for n in range(start, start + count):
        if stop_at is not None and time.time() > stop_at:
            break
        kind, name, data, keys = generate(seed, n, st)
        tried[kind] += 1
        try:
            signal.setitimer(signal.ITIMER_REAL, limit)
            try:
                run_one(name, data, keys, st)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except Exception as exc:  # a finding: save the input, go on
            folder = Path(crash_dir)
            folder.mkdir(parents=True, exist_ok=True)
            stem = folder / f"{'hang' if isinstance(exc, Hang) else 'crash'}-{seed}-{n}-{kind}"
            stem.with_suffix(".input").write_bytes(data)
            note = f"replay: python benchmarks/fuzz.py --seed {seed} --replay {n}\n"
            note += f"generator: {kind}\nname: {name!r}\nkeys: {keys}\n\n{traceback.format_exc()}"
            stem.with_suffix(".txt").write_text(note, encoding="utf-8")
            what = "hang" if isinstance(exc, Hang) else "crash"
            findings.append(f"{what} #{n} {kind}: {type(exc).__name__}: {str(exc)[:200]!r}")
    return {"tried": tried, "findings": findings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs to try")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="number of the first input")
    parser.add_argument("--html-share", type=float, default=0.04)
    parser.add_argument("--chunk", type=int, default=2000, help="inputs per task")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds an input may take")
    parser.add_argument("--crash-dir", type=Path, default=Path("fuzz-crashes"))
    parser.add_argument("--replay", type=int, default=None, help="run input N and raise")
    parser.add_argument("--extractor", default="trafilatura", help="HTML extractor to fuzz")
    args = parser.parse_args(argv)

    if args.replay is not None:
        init_worker(args.html_share, args.extractor)
        assert _STATE is not None
        kind, name, data, keys = generate(args.seed, args.replay, _STATE)
        print(f"input {args.replay}: {kind} {name!r} ({len(data)} bytes)")
        run_one(name, data, keys, _STATE)
        print("no crash")
        return 0

    began = time.monotonic()
    deadline = None if args.seconds is None else began + args.seconds
    stop_at = None if args.seconds is None else time.time() + args.seconds  # for the workers
    tried: Counter[str] = Counter()
    findings: list[str] = []
    end = args.start + args.inputs
    nxt = args.start
    last_print = began
    with ProcessPoolExecutor(
        args.jobs, initializer=init_worker, initargs=(args.html_share, args.extractor)
    ) as pool:
        running: dict[Future[dict[str, Any]], int] = {}  # a task and its first input

        def submit() -> None:
            nonlocal nxt
            while nxt < end and len(running) < 2 * args.jobs:
                if deadline is not None and time.monotonic() > deadline:
                    return
                count = min(args.chunk, end - nxt)
                task = pool.submit(
                    run_chunk, args.seed, nxt, count, str(args.crash_dir), args.limit, stop_at
                )
                running[task] = nxt
                nxt += count

        submit()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                first = running.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:  # a worker died (a crash in C code, memory)
                    findings.append(f"crash: a worker died in inputs {first}..{first + args.chunk}")
                    print(findings[-1], "(replay them with --jobs 1 --start)", flush=True)
                    running.clear()
                    break
                tried.update(result["tried"])
                findings.extend(result["findings"])
                for line in result["findings"]:
                    print(line, flush=True)
            if findings and findings[-1].startswith("crash: a worker died"):
                break
            submit()
            now = time.monotonic()
            if now - last_print > 60:
                last_print = now
                total = sum(tried.values())
                print(
                    f"... {total:,} inputs, {len(findings)} findings, {now - began:.0f} s",
                    flush=True,
                )
    elapsed = time.monotonic() - began
    total = sum(tried.values())
    by_kind = ", ".join(f"{k} {v:,}" for k, v in sorted(tried.items()))
    print(f"inputs tried: {total:,} ({by_kind})")
    hangs = sum(1 for f in findings if f.startswith("hang"))
    print(
        f"crashes: {len(findings) - hangs}  hangs: {hangs}  time: {elapsed:.0f} s "
        f"({total / max(elapsed, 1e-9):.0f} inputs/s, {args.jobs} jobs, seed {args.seed}, "
        f"from input {args.start})"
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
