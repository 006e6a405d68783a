"""What one line looks like on its own: a class that the block-context step then refines."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..config import Config
from ..text import image_count, is_heading, is_plain, strip_markup, word_count, words
from .language import stopword_density
from .shape import (
    ends_question_or_exclamation,
    ends_sentence,
    is_bare_url,
    is_datetime_line,
    is_markup_residue,
)


class LineClass(str, Enum):
    GOOD = "good"  # body text on its own: a sentence of enough words with function words
    NEAR = "near"  # a short sentence: body text if the body is near
    TITLE = "title"  # title-like: headings, headlines, menu and list items
    BAD = "bad"  # long but without function words: lists of names, tags, link labels
    MARKUP = "markup"
    DATETIME = "datetime"


@dataclass(frozen=True, slots=True)
class LineFeatures:
    """What the decisions read of a line: its class, size and shape."""

    cls: LineClass
    n_words: int
    n_chars: int  # visible characters
    heading: bool  # a top-level heading (markdown '# ')
    title_like: bool  # can belong to a headline block
    bare_url: bool = False  # markup that is one web address (see shape.is_bare_url)
    quoted: bool = False  # a date line inside a quotation ('> '): a quoted post's signature
    marked: bool = False  # a heading of any level ('#' to '######')
    image: bool = False  # markup that shows an image
    lead_in: bool = False  # body text ending with a colon: it announces what follows


def line_features(
    line: str,
    stopwords: frozenset[str] | None,
    config: Config,
    counted: tuple[int, int] | None = None,
) -> LineFeatures:
    """Classify one line by shape, stopwords and markup.

    ``counted``: the line's word tokens and how many of them are stopwords, when the caller
    has them already (the word ids of its fingerprint; see ``steps.decide.page_features``). They
    are used only for a plain ASCII line (no markup) of more than ``datetime_max_words``
    words, where they are what this function would count; other lines are counted here.

    >>> cfg = Config()
    >>> en = frozenset({"the", "a", "of", "on", "in", "after", "is", "and", "to"})
    >>> line_features("The plan was approved after a long debate on the floor of the house.",
    ...               en, cfg).cls.value
    'good'
    >>> line_features("Top stories in the region", en, cfg).cls.value
    'title'
    >>> line_features("![]() |", en, cfg).cls.value
    'markup'
    >>> line_features("Updated 08:22 16/06", en, cfg).cls.value
    'datetime'
    >>> line_features("It is over.", en, cfg).cls.value
    'near'
    >>> f = line_features("> — A Reader (@reader) November 1, 2019", en, cfg)
    >>> f.cls.value, f.quoted
    ('datetime', True)
    >>> line_features("The plan was approved after a debate on these three points:", en,
    ...               cfg).lead_in
    True
    >>> f = line_features("## Top stories", en, cfg)
    >>> f.marked, f.heading, line_features("![A bridge](b.jpg)", en, cfg).image
    (True, False, True)
    """
    scale = 1.0
    if len(line) > config.max_feature_chars:
        # judge a huge line on its head and its end: features are ratios, counts scale
        scale = len(line) / config.max_feature_chars
        line = line[: config.max_feature_chars // 2] + " " + line[-config.max_feature_chars // 2 :]
    plain = is_plain(line)
    visible = " ".join(line.split()) if plain else strip_markup(line)
    toks: list[str] | None = None
    n_stop = 0
    if (
        plain
        and counted is not None
        and scale == 1.0
        and counted[0] > config.datetime_max_words
        and visible.isascii()
    ):
        n, n_stop = counted
    else:
        toks = words(visible)
        # in ASCII, the lower-cased tokens are the words themselves: no second scan to count
        n = int((len(toks) if visible.isascii() else word_count(visible)) * scale)
    marked = is_heading(line)
    heading = marked and line.lstrip().startswith("# ")
    if is_markup_residue(line, visible, n if scale == 1.0 else None):
        url = is_bare_url(visible)
        image = image_count(line) > 0
        return LineFeatures(
            LineClass.MARKUP, n, len(visible), heading, True, url, marked=marked, image=image
        )
    terminal = ends_sentence(visible)
    title_like = n < config.title_max_words and (
        not terminal or ends_question_or_exclamation(visible)
    )
    if toks is None:  # counted: too many words for a date line
        density = None if stopwords is None else n_stop / n
    else:
        if is_datetime_line(
            visible, config.datetime_min_digit_share, config.datetime_max_words, toks
        ):
            quoted = line.lstrip().startswith(">")
            return LineFeatures(
                LineClass.DATETIME, n, len(visible), heading, True, quoted=quoted, marked=marked
            )
        density = stopword_density(toks, stopwords)
    stop_ok = density is None or density >= config.min_stopword_density
    if marked:
        cls = LineClass.TITLE
    elif stop_ok and ((terminal and n >= config.body_min_words) or n >= config.long_line_words):
        cls = LineClass.GOOD
    elif terminal and stop_ok and n >= 2:
        cls = LineClass.NEAR
    elif n < config.title_max_words:
        cls = LineClass.TITLE
    elif stop_ok:
        cls = LineClass.NEAR  # a long sentence without its ending
    else:
        cls = LineClass.BAD
    title_like = title_like or cls is LineClass.TITLE
    lead_in = cls is LineClass.GOOD and visible.rstrip(" *_").endswith(":")
    return LineFeatures(cls, n, len(visible), heading, title_like, marked=marked, lead_in=lead_in)
