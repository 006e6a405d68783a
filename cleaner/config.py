"""One settings object: every threshold the pipeline uses, named, with what it trades off."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from .heuristics.language import language_code

# The HTML extractors Config.extractor names.
EXTRACTORS = ("trafilatura", "resiliparse")


@dataclass(frozen=True, slots=True)
class Config:
    """Every threshold and switch of a run; validated when made (``ValueError``)."""

    # --- fingerprints -------------------------------------------------------------------
    # Permutations per MinHash signature. More: finer Jaccard estimates and fewer missed
    # near-duplicates; costs 4 bytes of memory per distinct line and one multiply per
    # shingle per permutation. 32 scored as 64 on the evaluation sets at half the memory.
    num_perm: int = 32
    # LSH bands x rows must equal num_perm. More bands (fewer rows): more candidate pairs,
    # higher recall on weak near-duplicates, more verification work. 8 x 4 puts the
    # S-curve's midpoint near Jaccard 0.6, below similarity_threshold, so verification decides.
    lsh_bands: int = 8
    lsh_rows: int = 4
    # Character shingle length on the normalized line. Shorter: short lines with one changed
    # word still look alike; longer: fewer accidental matches between unrelated lines.
    shingle_size: int = 5
    # Only lines up to this many characters are MinHashed and can join near-duplicates;
    # longer lines group with exact copies only (their key covers the whole line). Template
    # variants are short (headlines, dates, menus); long paragraphs repeated across pages
    # are copies. Lower: less memory and work per distinct line (a signature is 128 bytes,
    # a key 8); higher: long boilerplate with a changed word is found too.
    near_dup_max_chars: int = 300
    # Lines longer than this are classified on their first and last characters (counts
    # scaled up): a single huge line costs no more than a long paragraph.
    max_feature_chars: int = 20_000
    # Seed of the permutations; the same seed gives signatures equal to datasketch.MinHash.
    seed: int = 1
    # Estimated Jaccard similarity at which two lines are the same template line. Lower
    # merges headline variants more eagerly but risks joining unrelated short lines.
    similarity_threshold: float = 0.7

    # --- what counts as template ----------------------------------------------------------
    # A line group spanning at least max(min_files, ceil(min_file_fraction * corpus files))
    # files is template noise. The fixed floor makes a two-page corpus work; the fraction
    # keeps a line that a handful of pages in a million quote from being called template.
    min_files: int = 2
    min_file_fraction: float = 0.0001
    # A repeated line that reads as body text (a sentence) is kept when it sits between body
    # lines and spans fewer than this many files: a quote shared by two articles stays.
    quote_max_files: int = 3
    # When at least this share of a page's body words stand in lines repeated across files,
    # the page is a copy of another (syndication, a page crawled twice): its body lines stay
    # however many files share them, and the document step reports the copies.
    copy_min_share: float = 0.5

    # --- line shape -----------------------------------------------------------------------
    # A line needs this many words and a sentence ending to be body text on its own.
    # Lower keeps more short sentences; higher drops more captions and teasers.
    body_min_words: int = 8
    # A line this long counts as body text even without a sentence ending.
    long_line_words: int = 40
    # Minimum share of stopwords (per-language stoplist) in a body line. Higher drops more
    # lists of names and link labels, and risks terse body text.
    min_stopword_density: float = 0.2
    # Lines with fewer words than this that carry no sentence ending are title-like:
    # headings, headline lists, menu items.
    title_max_words: int = 25
    # A run of title-like lines next to (or containing) template lines is dropped as a block.
    # Runs shorter than this are kept unless they contain a template line: a lone article
    # title right below a template header survives.
    block_min_lines: int = 2
    # A title-like line before the body is kept as its heading when at most this many
    # visible characters stand between it and the next body line (jusText's heading rule).
    heading_max_chars: int = 200
    # Apply the shape rules (no-sentence, short, low-stopwords) to lines extracted from HTML.
    # Off: the HTML extractor already chose the body, and only cross-file, markup and
    # date rules run on its output.
    html_shape_filter: bool = False
    # Main body: kept lines separated by at least offbody_min_gap dropped lines form separate
    # blocks; a block with less than offbody_max_share of the largest block's body words is
    # dropped (teasers, comment threads). Higher share or lower gap: cleaner pages, but an
    # article interrupted by a large insert may lose a short section.
    offbody_min_gap: int = 3
    offbody_max_share: float = 0.15
    offbody_far_gap: int = 12
    # Teasers under pictures set in an article (a "most read" list, dropped as template)
    # do not count toward offbody_far_gap when the block beyond holds at
    # least this share of the main block's body words: the article goes on past them.
    # Lower attaches smaller blocks across such lists (a comment form, a sidebar).
    offbody_insert_min_share: float = 0.5
    # At least this many posts in a row, each under a dropped date line (not a quoted one)
    # and fewer than offbody_far_gap dropped lines from the last, are a thread (comments,
    # a forum): each such date line bounds a block that the main body does not reach
    # across. Lower cuts more pages into posts (a live blog's entries too); higher lets
    # comments under a short article stay attached to it.
    thread_min_dates: int = 3
    # A thread's posts are short: a run of dated posts breaks at a post of more kept lines.
    # Higher takes longer posts for a thread (and an article's dated sections with them).
    thread_max_post_lines: int = 6
    # A block of at least teaser_min_headings headings, most of them under a picture, with
    # fewer than teaser_max_words body words per heading is a grid of teasers (headline,
    # one line of summary): never the main block beside another, never attached to it.
    # Higher words or fewer headings catch more teaser grids, and with them more listicles
    # and interviews (a question as a heading, a short answer) that set pictures in.
    teaser_min_headings: int = 3
    teaser_max_words: int = 50
    # A page that keeps no line of prose keeps its largest run of lines dropped for their
    # shape alone (a table of results, a calendar) when the run holds at least
    # list_min_words words and list_min_line_words words a line on average. Lower keeps
    # more of prose-less pages, menus and link lists with them; higher leaves them empty.
    list_min_words: int = 40
    list_min_line_words: int = 4
    # The first block after the page's top heading with at least this share of the largest
    # block's body words is the main block. Lower trusts the heading more.
    title_block_min_share: float = 0.3
    # A page's kept lines are decided again without its dropped lines, until a round drops
    # nothing: then cleaning the output again keeps every line. Rounds beyond the first are
    # rare (a line kept only for a neighbour that a later step dropped) and almost always
    # one; the cap bounds the work on a hostile page, which may then not be a fixed point.
    decide_max_rounds: int = 8
    # Lines with at least this share of digits among their word characters, and few words,
    # are date/time stamps.
    datetime_min_digit_share: float = 0.2
    datetime_max_words: int = 12

    # --- documents ------------------------------------------------------------------------
    # Near-duplicate documents (after cleaning): "flag" marks them in the report and in
    # record metadata, "drop" also leaves all but one representative out of the output,
    # "off" skips the step.
    dedup_docs: str = "flag"
    # Jaccard similarity of word n-gram sets at which two documents are near-duplicates;
    # 0.8 on 5-grams catches copies with a paragraph edited, not articles on one topic.
    doc_threshold: float = 0.8
    doc_ngram: int = 5
    # Documents are compared on their first words only: bounds the cost of huge pages.
    doc_max_words: int = 100_000
    # Document signatures: 4 bytes per permutation per document. doc_bands x doc_rows must
    # equal doc_num_perm; 32 x 4 proposes pairs from Jaccard ~0.4 up, verification decides.
    doc_num_perm: int = 128
    doc_bands: int = 32
    doc_rows: int = 4

    # The group step reads the shards' fingerprints a range of LSH buckets at a time and
    # counts files per group a partition at a time, holding about this many bytes of keys;
    # less memory costs more passes over the fingerprint files. (Writing an --index merges
    # the fingerprints in memory: 8 B per distinct line, +128 per short one.)
    group_memory_bytes: int = 256 << 20

    # --- output -----------------------------------------------------------------------------
    # Record files are written as the input's kind (WARC as JSON Lines); "jsonl" or
    # "parquet" writes every record file in that kind instead.
    output_format: str | None = None

    # --- parallel work on large record files --------------------------------------------
    # A record file larger than this (bytes on disk) is cleaned as several parts, one task
    # each: record blocks are dealt to the parts in turn. Every part reads the whole file
    # but parses only its own blocks, so smaller parts give more parallel work at the cost
    # of more reading. The parts never change the result, only how it is computed.
    record_part_bytes: int = 64 << 20
    # At most this many parts per record file (the reading cost grows with the parts).
    max_record_parts: int = 16
    # Records per block dealt to one part.
    record_block: int = 64

    # --- language -------------------------------------------------------------------------
    # Force one language for stopwords instead of detecting it per page: a code py3langid or
    # jusText knows, or a jusText stoplist name (normalised to its code; others refused).
    language: str | None = None
    # Characters of a page given to the language detector; more is slower and steadier.
    langid_max_chars: int = 2000

    # --- HTML -----------------------------------------------------------------------------
    # What extracts an HTML page's text. "trafilatura" is the more precise; "resiliparse" is
    # several times faster (the mode for a large crawl) and less precise alone. On either
    # one's output the cross-file, markup and date rules run (html_shape_filter adds the
    # rest of text mode's rules; with resiliparse they scored 0.926 against 0.938 on
    # scrapinghub, 0.954 against 0.952 on cleanportaleval).
    extractor: str = "trafilatura"
    # resiliparse: a page whose elements nest deeper than this goes to trafilatura instead
    # (which unwraps such a nest). resiliparse's main-content choice takes time growing with the
    # square of the depth (about 2 s at 10,000 levels, minutes at 100,000); real pages nest
    # a few dozen levels. Higher lets stranger pages through at that cost.
    html_max_depth: int = 256
    # Elements a reader does not see (the hidden attribute, an inline style display:none)
    # are removed before trafilatura extracts a page, unless they hold more than this share
    # of its text (a page a script shows once loaded: its hidden text is its content).
    # They are copies of the article for search engines, closed menus and dialogs. Higher
    # removes them from more pages that hide most of themselves; 0 removes none.
    html_hidden_max_share: float = 0.9
    # Keep tables found in HTML bodies (table rows are still judged line by line).
    html_include_tables: bool = True
    # Ask the extractor to favour precision: fewer stray blocks kept, some short body blocks
    # (captions, one-line paragraphs) lost.
    html_favor_precision: bool = False
    # When the extractor returns fewer than html_recover_max_words words from a page whose
    # own text rendering holds at least html_recover_min_prose words in lines shaped like
    # prose, it missed the article: the page's lines come from its rendering and are judged
    # as a text page's. Higher limits recover more pages the extractor cut short, at the
    # risk of replacing a short article (a brief) by the page's text judged line by line.
    html_recover_max_words: int = 50
    html_recover_min_prose: int = 150
    # Prose that continues the extractor's text on the page's rendering (the rest of an
    # article set in a second container, past an advert) is added while at most
    # html_trail_max_gap other lines stand between two of its lines (-1 adds none), and
    # only when it holds at least html_trail_min_share of the extractor's words: an
    # author's note, a newsletter prompt or a comment after a whole article is small beside
    # it (at most 0.27 of it on the evaluation sets; the missing halves were 1.2 and 1.8).
    # A higher gap recovers articles split by larger inserts; a lower share adds smaller
    # continuations, and with them the notes that follow articles.
    html_trail_max_gap: int = 1
    html_trail_min_share: float = 0.5

    # --- HTML report (--report-html) ----------------------------------------------------
    # Pages the HTML report shows (its file size is bounded by these counts, not by the
    # corpus): the pages with the highest share of lines dropped, the emptiest (fewest
    # lines kept of the most read), and a seeded random sample. More: more to inspect,
    # a larger file and more memory while the run streams its pages past the sample.
    report_html_most_dropped: int = 100
    report_html_emptiest: int = 50
    report_html_random: int = 100
    report_html_seed: int = 0
    # Characters of text shown per sampled page (the rest of its lines are counted):
    # bounds the file when pages are huge; lower cuts long articles short in the view.
    report_html_page_chars: int = 20_000
    # Template groups and duplicate-document clusters listed, most files first (all are
    # counted in the summary): up to ~3 kB each (texts cut at 300 characters, links to the
    # sampled pages that hold them); fewer keeps a huge corpus's report smaller.
    report_html_groups: int = 5_000

    def __post_init__(self) -> None:
        if self.lsh_bands * self.lsh_rows != self.num_perm:
            raise ValueError(
                f"lsh_bands x lsh_rows ({self.lsh_bands} x {self.lsh_rows}) "
                f"must equal num_perm ({self.num_perm})"
            )
        if self.doc_bands * self.doc_rows != self.doc_num_perm:
            raise ValueError("doc_bands x doc_rows must equal doc_num_perm")
        if self.output_format not in (None, "jsonl", "parquet"):
            raise ValueError("output_format must be jsonl or parquet")
        if self.extractor not in EXTRACTORS:
            raise ValueError(
                f"unknown extractor {self.extractor!r} (choose {' or '.join(EXTRACTORS)})"
            )
        if self.html_max_depth < 1:
            raise ValueError("html_max_depth must be at least 1")
        if self.dedup_docs not in ("off", "flag", "drop"):
            raise ValueError("dedup_docs must be one of off, flag, drop")
        if not 0.0 < self.doc_threshold <= 1.0:
            raise ValueError("doc_threshold must be in (0, 1]")
        if not 0.0 < self.similarity_threshold <= 1.0:
            raise ValueError("similarity_threshold must be in (0, 1]")
        if self.min_files < 2:
            raise ValueError("min_files must be at least 2: a template spans several files")
        if self.record_part_bytes < 1 or self.max_record_parts < 1 or self.record_block < 1:
            raise ValueError("record_part_bytes, max_record_parts, record_block must be >= 1")
        if (
            min(
                self.report_html_most_dropped,
                self.report_html_emptiest,
                self.report_html_random,
                self.report_html_page_chars,
                self.report_html_groups,
            )
            < 0
        ):
            raise ValueError("report_html_* counts must be >= 0")
        if self.shingle_size < 1:
            raise ValueError("shingle_size must be at least 1")
        if self.language is not None:
            # 'EN' and 'english' name the code 'en'; anything unknown is refused
            object.__setattr__(self, "language", language_code(self.language))

    def template_min_files(self, n_files: int) -> int:
        """Files a group must span to be template noise, for a corpus of ``n_files``.

        >>> Config().template_min_files(2)
        2
        >>> Config().template_min_files(100_000)
        10
        """
        return max(self.min_files, math.ceil(self.min_file_fraction * n_files))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
