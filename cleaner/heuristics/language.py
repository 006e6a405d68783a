"""Per-language stoplists (from jusText) and language detection (py3langid's model)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cachedir import cache_root
from ..compiled import compiled

# ISO 639-1 code -> jusText stoplist name, for the languages jusText ships a stoplist for.
_JUSTEXT_NAMES = {
    "af": "Afrikaans", "sq": "Albanian", "ar": "Arabic", "an": "Aragonese", "hy": "Armenian",
    "ast": "Asturian", "az": "Azerbaijani", "eu": "Basque", "be": "Belarusian", "bn": "Bengali",
    "bs": "Bosnian", "br": "Breton", "bg": "Bulgarian", "ca": "Catalan", "ceb": "Cebuano",
    "cv": "Chuvash", "hr": "Croatian", "cs": "Czech", "da": "Danish", "nl": "Dutch",
    "en": "English", "eo": "Esperanto", "et": "Estonian", "fi": "Finnish", "fr": "French",
    "gl": "Galician", "ka": "Georgian", "de": "German", "el": "Greek", "gu": "Gujarati",
    "ht": "Haitian", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "is": "Icelandic",
    "io": "Ido", "ig": "Igbo", "id": "Indonesian", "ga": "Irish", "it": "Italian",
    "jv": "Javanese", "kn": "Kannada", "kk": "Kazakh", "ko": "Korean", "ku": "Kurdish",
    "ky": "Kyrgyz", "la": "Latin", "lv": "Latvian", "lt": "Lithuanian", "lmo": "Lombard",
    "nds": "Low_Saxon", "lb": "Luxembourgish", "mk": "Macedonian", "ms": "Malay",
    "ml": "Malayalam", "mt": "Maltese", "mr": "Marathi", "nap": "Neapolitan", "ne": "Nepali",
    "new": "Newar", "nb": "Norwegian_Bokmal", "no": "Norwegian_Bokmal", "nn": "Norwegian_Nynorsk",
    "oc": "Occitan", "fa": "Persian", "pms": "Piedmontese", "pl": "Polish", "pt": "Portuguese",
    "qu": "Quechua", "ro": "Romanian", "ru": "Russian", "sr": "Serbian", "sh": "Serbo_Croatian",
    "scn": "Sicilian", "sk": "Slovak", "sl": "Slovenian", "es": "Spanish", "su": "Sundanese",
    "sw": "Swahili", "sv": "Swedish", "tl": "Tagalog", "ta": "Tamil", "te": "Telugu",
    "tr": "Turkish", "tk": "Turkmen", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
    "vi": "Vietnamese", "vo": "Volapuk", "wa": "Walloon", "war": "Waray_Waray", "cy": "Welsh",
    "fy": "West_Frisian", "pnb": "Western_Panjabi", "yo": "Yoruba",
}  # fmt: skip


# The labels py3langid's model gives (ISO 639-1 where the language has a code there, else
# ISO 639-3; zxx: no linguistic content). tests/test_robustness.py checks them against the model.
_LANGID_LABELS = (
    "ace af am an ar ary arz as az ba bcl be bg bn br bs ca crh cs cy da de dz el en eo es et "
    "eu ext fa fi fo fr fuv fy ga gcf gcr gd gl gom grc gu gug guw ha hbo he hi hr ht hu hy id "
    "ig is it ja jv ka kab kik kk km kn ko ku ky la lb lg lij ln lo lt ltg lv mg mk ml mn mr ms "
    "mt my ne nl nn no nso oc om or pa pcm pl ps pt qu ro ru rw sa sdh se si sk sl sn so sq sr "
    "st sv sw ta te tg th tk tl tr tt ug uk ur uz uzs vec vi vo wa wuu xh yo yue zh zu zxx"
)
LANGUAGE_CODES = tuple(sorted(set(_LANGID_LABELS.split()) | set(_JUSTEXT_NAMES)))


def language_code(value: str) -> str:
    """The language code a ``--lang`` value names: a code py3langid or jusText knows (any
    case), or the name of a jusText stoplist (``English``, ``norwegian_nynorsk``, spaces for
    underscores). Anything else is a ValueError saying what is accepted.

    >>> language_code("EN"), language_code("english"), language_code("West Frisian")
    ('en', 'en', 'fy')
    >>> for value in ("eng", "xx"):
    ...     try:
    ...         language_code(value)
    ...     except ValueError as exc:
    ...         print(str(exc)[:25])
    unknown language 'eng': g
    unknown language 'xx': gi
    """
    code = value.strip().lower().replace(" ", "_")
    if code in LANGUAGE_CODES:
        return code
    for short, name in _JUSTEXT_NAMES.items():
        if name.lower() == code:
            return short  # the first code of a name (Norwegian_Bokmal: nb)
    raise ValueError(
        f"unknown language {value!r}: give a language code py3langid or jusText knows "
        "(ISO 639-1 where the language has one, e.g. en, not eng) or a jusText stoplist "
        f"name (e.g. English): {', '.join(LANGUAGE_CODES)}"
    )


def has_stoplist(lang: str) -> bool:
    """
    >>> has_stoplist("fr"), has_stoplist("zh")
    (True, False)
    """
    return lang in _JUSTEXT_NAMES


class Stoplists:
    """Loads stoplists on first use; one instance per worker, passed down explicitly."""

    def __init__(self) -> None:
        self._cache: dict[str, frozenset[str] | None] = {}

    def get(self, lang: str | None) -> frozenset[str] | None:
        """The stopwords of ``lang``, or None when no stoplist exists for it.

        >>> s = Stoplists()
        >>> "the" in (s.get("en") or ()), s.get("zh"), s.get(None)
        (True, None, None)
        """
        if lang is None:
            return None
        if lang not in self._cache:
            name = _JUSTEXT_NAMES.get(lang)
            if name is None:
                self._cache[lang] = None
            else:
                self._cache[lang] = frozenset(w.lower() for w in _justext_stoplist(name))
        return self._cache[lang]


def _justext_stoplist(name: str) -> frozenset[str]:
    """``justext.get_stoplist(name)``, read from jusText's package folder without importing
    jusText (its import loads lxml.html and costs more than the file: a run whose pages
    never touch lxml, with --extractor resiliparse or text pages, does without it).

    >>> import justext
    >>> _justext_stoplist("English") == justext.get_stoplist("English")
    True
    """
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("justext")  # finds the package without running it
    if spec is None or spec.origin is None:
        raise ImportError("jusText is not installed")
    data = (Path(spec.origin).parent / "stoplists" / f"{name}.txt").read_bytes()
    return frozenset(w.decode("utf8").lower() for w in data.splitlines())


_LETTERS = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class _Model:
    """py3langid's naive Bayes model: a byte automaton whose states name n-gram features,
    and per-feature, per-language log probabilities."""

    nextmove: Any  # np.ndarray (unsigned): distinct transition rows, 256 entries each
    rowbase: Any  # np.ndarray: state -> offset of its row in ``nextmove``
    output: Any  # np.ndarray: state -> feature counted on entering it, or -1
    depth: int  # longest path from the start to a state: the bytes a state depends on
    ptc: Any  # np.ndarray: feature x language log probabilities (57 MB as float32)
    pc: Any  # np.ndarray: language priors
    classes: tuple[str, ...]
    aliases: tuple[tuple[int, int], ...]  # (first, repeated) columns of one label


def _automaton_depth(nextmove: Any, rowbase: Any) -> int:
    """Largest distance from the start state to any state: breadth-first, each level at
    once, and each distinct transition row expanded once (states share rows).

    >>> import numpy as np
    >>> rows = np.array([1] * 256 + [2] * 256 + [2] * 256)  # 0 -> 1 -> 2 -> 2
    >>> _automaton_depth(rows, np.array([0, 256, 512]))
    2
    """
    import numpy as np

    table = nextmove.reshape(-1, 256)
    row_of = rowbase >> 8
    seen = np.zeros(len(rowbase), bool)
    expanded = np.zeros(len(table), bool)
    seen[0] = True
    frontier = np.zeros(1, np.int64)
    depth = 0
    while True:
        rows = np.unique(row_of[frontier])
        rows = rows[~expanded[rows]]
        expanded[rows] = True
        reached = np.zeros(len(rowbase), bool)
        reached[table[rows].ravel()] = True
        reached &= ~seen
        frontier = np.flatnonzero(reached)
        if not len(frontier):
            return depth
        seen[frontier] = True
        depth += 1


MODEL_UNPACKED_MB = 70  # py3langid's model file (68 MB), unpacked when it loads


# Bump when the arrays kept in the cache folder change in kind or meaning.
_CACHE_FORMAT = 1
_CACHE_ARRAYS = ("nextmove", "rowbase", "output", "ptc", "pc", "classes", "depth")


def _cached_model() -> _Model:
    """py3langid's model, read from its unpacked arrays in the cache folder (memory-mapped:
    the page cache holds one copy for every worker), unpacked and written there first when
    missing. Unpacking takes about half a second of CPU (LZMA and float16 to float32); the
    folder is named after a hash of the model file, written under a temporary name and
    renamed into place, so a reader never sees half a cache and a changed model gets its
    own. When the folder cannot be written (read-only home, full disk) the model is
    unpacked in memory as before, for this process only."""
    import os
    import tempfile

    import numpy as np
    import xxhash
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    path = Path(MODEL_DIR / MODEL_FILE)
    try:
        digest = xxhash.xxh3_64_hexdigest(path.read_bytes())  # 0.1 ms; blake2b took 5
        folder = cache_root() / f"langid-{_CACHE_FORMAT}-{digest}"
        if folder.is_dir():
            # plain arrays over the mapped files: a memmap's indexing goes through Python
            arrays = {
                n: np.load(folder / f"{n}.npy", mmap_mode="r").view(np.ndarray)
                for n in _CACHE_ARRAYS
            }
            return _model_from_arrays(arrays)
    except (OSError, ValueError, RuntimeError):  # RuntimeError: no home folder to be found
        folder = None
    arrays = _unpacked_arrays(path)
    if folder is not None:
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
            try:
                for name in _CACHE_ARRAYS:
                    np.save(tmp / f"{name}.npy", arrays[name], allow_pickle=False)
                os.rename(tmp, folder)  # atomic; fails when another process got there first
            except OSError:
                import shutil

                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass  # not writable: this process keeps its unpacked arrays
    return _model_from_arrays(arrays)


def _unpacked_arrays(path: Path) -> dict[str, Any]:
    """The model's arrays as the classifier uses them, unpacked from py3langid's file."""
    import numpy as np
    from py3langid.modelio import load_model

    try:  # py3langid unpacks the model to a temporary file
        ptc, pc, classes, nextmove, row, output = load_model(path)
    except OSError as exc:
        import tempfile

        raise OSError(
            exc.errno,
            f"{exc.strerror or exc}: loading the language model needs about "
            f"{MODEL_UNPACKED_MB} MB free in the temporary folder (TMPDIR)",
            tempfile.gettempdir(),
        ) from None
    # kept at the model's width (not widened to int64)
    moves = np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}")
    rowbase = np.frombuffer(row, dtype=f"u{row.itemsize}").astype(np.int64) << 8
    return {
        "nextmove": moves,
        "rowbase": rowbase,
        "output": np.asarray(output, np.int64),
        # float32: numpy would convert the rows used at every call, slowly
        "ptc": np.asarray(ptc, np.float32),
        "pc": np.asarray(pc),
        "classes": np.asarray([str(c) for c in classes]),
        "depth": np.asarray(_automaton_depth(moves, rowbase), np.int64),
    }


def _model_from_arrays(arrays: dict[str, Any]) -> _Model:
    classes = tuple(str(c) for c in arrays["classes"].tolist())
    first: dict[str, int] = {}
    aliases = []
    for i, label in enumerate(classes):
        if label in first:
            aliases.append((first[label], i))
        else:
            first[label] = i
    return _Model(
        arrays["nextmove"],
        arrays["rowbase"],
        arrays["output"],
        int(arrays["depth"]),
        arrays["ptc"],
        arrays["pc"],
        classes,
        tuple(aliases),
    )


class LanguageIdentifier:
    """py3langid's classifier, with its automaton run over all byte positions at once.

    The automaton recognises n-grams Aho-Corasick style, so the state after a byte depends
    on the last ``depth`` bytes only: starting ``depth`` steps back from every position and
    stepping all positions together reaches the same states as py3langid's byte-by-byte
    walk, in ``depth`` array operations instead of one Python step per byte. Features are
    summed in the order py3langid meets them, so the scores are the same floating-point
    numbers and the answers identical. The model loads on first use; one instance per
    worker, passed down explicitly.
    """

    def __init__(self) -> None:
        self._model: _Model | None = None
        self._slots: Any = None  # np.ndarray: scratch for the compiled feature count

    def _load(self) -> _Model:
        if self._model is None:
            self._model = _cached_model()
        return self._model

    def features(self, data: bytes) -> Any:
        """The feature met at each byte of ``data`` that ends one (np.ndarray, in order)."""
        import numpy as np

        m = self._load()
        module = compiled()
        if module is not None and m.nextmove.dtype == np.uint32 and m.rowbase.dtype == np.int64:
            # the same walk as below, compiled
            raw = np.frombuffer(data, np.uint8)
            found = m.output[module.automaton_states(raw, m.nextmove, m.rowbase, m.depth)]
            return found[found >= 0]
        b = np.frombuffer(data, np.uint8).astype(np.int64)
        n, d = len(b), m.depth
        head = []
        state = 0
        for letter in b[: d - 1].tolist():  # the first bytes have less than a window behind
            state = int(m.nextmove[m.rowbase[state] + letter])
            head.append(state)
        states = np.zeros(max(n - d + 1, 0), np.int64)
        for k in range(d if n >= d else 0):
            states = m.nextmove[m.rowbase[states] + b[k : n - d + 1 + k]]
        found = m.output[np.concatenate([np.asarray(head, np.int64), states])]
        return found[found >= 0]

    def _first_sight_counts(self, found: Any, n_features: int) -> tuple[Any, Any]:
        """The distinct features of ``found`` in order of first sight, and their counts."""
        import numpy as np

        kernel = getattr(compiled(), "first_sight_counts", None)
        if kernel is not None:
            if self._slots is None or len(self._slots) != n_features:
                self._slots = np.zeros(n_features, np.int32)
            return kernel(np.ascontiguousarray(found, np.int64), self._slots)
        ids, first, counts = np.unique(found, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        return ids[order], counts[order]

    def classify(self, text: str) -> str:
        """The language code py3langid's ``classify`` gives for ``text``.

        >>> LanguageIdentifier().classify("Der Ausschuss hat den Plan am Dienstag gebilligt.")
        'de'
        """
        import numpy as np

        m = self._load()
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        found = self.features(data)
        if not len(found):
            return m.classes[0]  # no feature: every score is the same floor
        # py3langid sums the features in the order it first meets them
        ids, counts = self._first_sight_counts(found, len(m.ptc))
        scores = np.log1p(counts.astype(np.float32)) @ m.ptc[ids] + m.pc
        for i, j in m.aliases:
            scores[i] = max(scores[i], scores[j])
            scores[j] = np.finfo(np.float32).min
        return m.classes[int(scores.argmax())]


def detect_language(text: str, identifier: LanguageIdentifier, max_chars: int = 4000) -> str | None:
    """ISO 639-1 code of the text's language, or None for too little text.

    >>> ident = LanguageIdentifier()
    >>> detect_language("The committee approved the plan after a long debate on Tuesday.", ident)
    'en'
    >>> detect_language("La Chine et les Etats-Unis ont organisé leur deuxième dialogue.", ident)
    'fr'
    >>> detect_language("  ", ident) is None
    True
    """
    sample = text[:max_chars]
    if len(_LETTERS.findall(sample, 0, 400)) < 10:
        return None
    return identifier.classify(sample)


def stopword_density(tokens: list[str], stopwords: frozenset[str] | None) -> float | None:
    """Share of tokens that are stopwords; None when there is no stoplist.

    >>> stopword_density(["the", "cat", "is", "here"], frozenset({"the", "is"}))
    0.5
    >>> stopword_density(["x"], None) is None
    True
    """
    if stopwords is None or not tokens:
        return None
    return sum(map(stopwords.__contains__, tokens)) / len(tokens)
