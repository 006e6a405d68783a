"""Per-language stoplists (from jusText) and language detection (py3langid)."""

from __future__ import annotations

import re

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
                import justext

                self._cache[lang] = frozenset(w.lower() for w in justext.get_stoplist(name))
        return self._cache[lang]


_LETTERS = re.compile(r"[^\W\d_]")


def detect_language(text: str, max_chars: int = 4000) -> str | None:
    """ISO 639-1 code of the text's language, or None for too little text.

    >>> detect_language("The committee approved the plan after a long debate on Tuesday.")
    'en'
    >>> detect_language("La Chine et les Etats-Unis ont organisé leur deuxième dialogue.")
    'fr'
    >>> detect_language("  ") is None
    True
    """
    sample = text[:max_chars]
    if len(_LETTERS.findall(sample, 0, 400)) < 10:
        return None
    import py3langid

    lang, _score = py3langid.classify(sample)
    return str(lang)


def stopword_density(tokens: list[str], stopwords: frozenset[str] | None) -> float | None:
    """Share of tokens that are stopwords; None when there is no stoplist.

    >>> stopword_density(["the", "cat", "is", "here"], frozenset({"the", "is"}))
    0.5
    >>> stopword_density(["x"], None) is None
    True
    """
    if stopwords is None or not tokens:
        return None
    return sum(t in stopwords for t in tokens) / len(tokens)
