# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Walks of an lxml tree in C, reading libxml2's node structs through lxml's public C API
(no libxml2 function is called): a page's own text rendering, its quotations, and the
elements a reader does not see. Each gives what the Python reference in
``cleaner.extract.render`` and ``cleaner.extract.html`` gives, or None where it leaves a
case to that reference (a node or a name the walk does not read, the rendering's break
character outside a text)."""

cimport lxml.includes.etreepublic as cetree
from lxml.includes cimport tree
from lxml.includes.tree cimport xmlNode, xmlAttr

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdlib cimport free, realloc
from libc.string cimport strcmp, strlen

cdef extern from "libxml/xmlversion.h":
    const char* LIBXML_DOTTED_VERSION

cetree.import_lxml__etree()

# the versions of lxml and of its libxml2 whose headers this module was compiled with: the
# loader uses it only with the same ones
LXML_VERSION = (<bytes>cetree.LXML_VERSION_STRING).decode("ascii")
LIBXML_VERSION = (<bytes>LIBXML_DOTTED_VERSION).decode("ascii")

# what an element's name makes it in the rendering
cdef enum Kind:
    PLAIN = 0
    BLOCK = 1        # a line of its own
    INVISIBLE = 2    # neither it nor its children shown (its tail is)
    HEADING = 3      # a block marked "#" * n + " " (n in 1..6)
    ITEM = 4         # a block marked "* "
    UNREAD = 5       # a name the walk leaves to the reference (not ASCII lower case)

ctypedef const unsigned char* bytes_t

# ---------------------------------------------------------------- output with collapsing


cdef struct Out:
    char* buf
    size_t size
    size_t cap
    bint line        # the current line holds a character
    bint space       # a space is due before the line's next character
    bint lines       # a line was written
    bint break_char  # a text held the rendering's break character (U+E000)
    bint comments    # a comment or a processing instruction was rendered


cdef int grow(Out* out, size_t more) except -1:
    cdef size_t cap = out.cap * 2 + more + 64
    cdef char* buf = <char*>realloc(out.buf, cap)
    if buf == NULL:
        raise MemoryError()
    out.buf = buf
    out.cap = cap
    return 0


cdef inline int space_width(bytes_t s) noexcept nogil:
    """The bytes of a character Python's str.split() splits at (0: not one)."""
    cdef unsigned char c = s[0]
    if c < 0x80:
        return 1 if (c == 32 or 9 <= c <= 13 or 0x1c <= c <= 0x1f) else 0
    if c == 0xC2:  # U+0085, U+00A0
        return 2 if (s[1] == 0x85 or s[1] == 0xA0) else 0
    if c == 0xE1:  # U+1680
        return 3 if (s[1] == 0x9A and s[2] == 0x80) else 0
    if c == 0xE2:
        if s[1] == 0x80:  # U+2000..U+200A, U+2028, U+2029, U+202F
            return 3 if (0x80 <= s[2] <= 0x8A or s[2] == 0xA8 or s[2] == 0xA9
                         or s[2] == 0xAF) else 0
        return 3 if (s[1] == 0x81 and s[2] == 0x9F) else 0  # U+205F
    if c == 0xE3:  # U+3000
        return 3 if (s[1] == 0x80 and s[2] == 0x80) else 0
    return 0


cdef int feed(Out* out, bytes_t s) except -1:
    """Add a text (UTF-8): spaces collapsed, none at a line's start or end."""
    cdef int width
    cdef unsigned char c
    cdef size_t n
    cdef char* at
    if s == NULL:
        return 0
    n = strlen(<const char*>s)
    # a text adds at most one byte to its own: a space or a line break before its first
    # word (a space before each further word takes the place of one in the text)
    if out.size + n + 1 > out.cap:
        grow(out, n + 1)
    at = out.buf + out.size
    while True:
        c = s[0]
        if c == 0:
            break
        if c <= 32 or c >= 0x80:
            width = space_width(s)
            if width:
                if out.line:
                    out.space = True
                s += width
                continue
            if c == 0xEE and s[1] == 0x80 and s[2] == 0x80:
                out.break_char = True
        # a word: after a line break or a space when one is due
        if not out.line:
            if out.lines:
                at[0] = b"\n"
                at += 1
            out.line = True
            out.lines = True
        elif out.space:
            at[0] = b" "
            at += 1
        out.space = False
        at[0] = <char>c
        at += 1
        s += 1
        while True:  # the rest of the word, to the next space or a non-ASCII character
            c = s[0]
            if c <= 32 or c >= 0x80:
                break
            at[0] = <char>c
            at += 1
            s += 1
    out.size = at - out.buf
    return 0


cdef inline void line_break(Out* out) noexcept nogil:
    out.line = False
    out.space = False


cdef const char* EMPTY = b""


cdef str text_of(Out* out):
    return PyUnicode_DecodeUTF8(out.buf if out.buf != NULL else EMPTY, out.size, NULL)


# ---------------------------------------------------------------- names


cdef inline bint named(bytes_t name, const char* want, size_t n) noexcept nogil:
    """Whether a name is ``want`` (of ``n`` letters)."""
    return name[0] == <unsigned char>want[0] and strcmp(<const char*>name, want) == 0


cdef Kind kind_of(xmlNode* node) noexcept nogil:
    """What an element's name makes it (the stylesheet matches names as they are: a name
    with upper case or non-ASCII letters is left to the reference, which lowers it)."""
    cdef bytes_t name = node.name
    cdef size_t n = 0
    cdef unsigned char c
    if node.ns != NULL:
        return UNREAD
    while name[n]:
        c = name[n]
        if c >= 0x80 or (b"A"[0] <= c <= b"Z"[0]):
            return UNREAD
        n += 1
    c = name[0]
    if n == 1:
        return BLOCK if c == b"p"[0] else PLAIN
    if n == 2:
        if c == b"h"[0] and b"1"[0] <= name[1] <= b"6"[0]:
            return HEADING
        if named(name, "li", 2):
            return ITEM
        if (named(name, "br", 2) or named(name, "dd", 2) or named(name, "dl", 2)
                or named(name, "dt", 2) or named(name, "hr", 2) or named(name, "ol", 2)
                or named(name, "td", 2) or named(name, "th", 2) or named(name, "tr", 2)
                or named(name, "ul", 2)):
            return BLOCK
        return PLAIN
    if n == 3:
        if named(name, "div", 3) or named(name, "nav", 3) or named(name, "pre", 3):
            return BLOCK
        return PLAIN
    if n == 4:
        if named(name, "form", 4) or named(name, "main", 4):
            return BLOCK
        if named(name, "head", 4):
            return INVISIBLE
        return PLAIN
    if n == 5:
        if named(name, "aside", 5) or named(name, "table", 5):
            return BLOCK
        if named(name, "style", 5) or named(name, "title", 5):
            return INVISIBLE
        return PLAIN
    if n == 6:
        if (named(name, "figure", 6) or named(name, "footer", 6) or named(name, "header", 6)):
            return BLOCK
        if named(name, "script", 6):
            return INVISIBLE
        return PLAIN
    if n == 7:
        if named(name, "address", 7) or named(name, "article", 7) or named(name, "section", 7):
            return BLOCK
        return PLAIN
    if n == 8:
        if named(name, "fieldset", 8):
            return BLOCK
        if named(name, "noscript", 8) or named(name, "template", 8):
            return INVISIBLE
        return PLAIN
    if n == 10:
        return BLOCK if (named(name, "blockquote", 10) or named(name, "figcaption", 10)) else PLAIN
    return PLAIN


cdef inline bint holds_break(bytes_t s) noexcept nogil:
    """Whether a text holds the rendering's break character (U+E000)."""
    if s == NULL:
        return False
    while s[0]:
        if s[0] == 0xEE and s[1] == 0x80 and s[2] == 0x80:
            return True
        s += 1
    return False


# ---------------------------------------------------------------- the rendering

cdef const char* HEADING_MARKS[7]
HEADING_MARKS[:] = [b"", b"# ", b"## ", b"### ", b"#### ", b"##### ", b"###### "]


cdef inline int opened(Out* out, xmlNode* node, Kind kind) except -1:
    if kind == BLOCK:
        line_break(out)
    elif kind == HEADING:
        line_break(out)
        feed(out, <bytes_t>HEADING_MARKS[node.name[1] - b"0"[0]])
    elif kind == ITEM:
        line_break(out)
        feed(out, <bytes_t>b"* ")
    return 0


cdef int walk(Out* out, xmlNode* top) except -2:
    """Render ``top`` and what it holds (not its tail): 0, or 1 where the walk leaves the
    subtree to the reference."""
    cdef xmlNode* node = top
    cdef Kind kind
    while True:
        if node.type == tree.XML_ELEMENT_NODE:
            kind = kind_of(node)
            if kind == UNREAD:
                return 1
            if kind != INVISIBLE:
                opened(out, node, kind)
                if node.children != NULL:
                    node = node.children
                    continue
                if kind != PLAIN:
                    line_break(out)
        elif node.type == tree.XML_TEXT_NODE:
            feed(out, node.content)
        elif node.type == tree.XML_COMMENT_NODE or node.type == tree.XML_PI_NODE:
            # the stylesheet breaks a line at a break character outside the texts
            if holds_break(node.content):
                return 1
            out.comments = True
            feed(out, node.content)
        else:
            return 1
        # on to the next node: the next sibling, or the end of the parents
        while True:
            if node == top:
                return 0
            if node.next != NULL:
                node = node.next
                break
            node = node.parent
            if kind_of(node) != PLAIN:  # an element left: it was read when entered
                line_break(out)


cdef void release(Out* out) noexcept:
    free(out.buf)
    out.buf = NULL


cdef bint lone_root(xmlNode* root) noexcept nogil:
    """Whether the root element is the document's only element or text (the stylesheet
    renders every element at the top, the walk the root and its tail)."""
    cdef xmlNode* other = root.prev
    while other != NULL:
        if other.type == tree.XML_ELEMENT_NODE or other.type == tree.XML_TEXT_NODE:
            return False
        if other.type == tree.XML_CDATA_SECTION_NODE:
            return False
        other = other.prev
    other = root.next
    while other != NULL:
        if other.type == tree.XML_ELEMENT_NODE or other.type == tree.XML_TEXT_NODE:
            return False
        if other.type == tree.XML_CDATA_SECTION_NODE:
            return False
        other = other.next
    return True


cdef object rendered(xmlNode* top, bint tail):
    """The rendering of ``top`` and what it holds, or None when the walk leaves it to the
    reference: where the reference renders with its walk in Python (when a text holds the
    break character), which passes over comments and their tails (lxml's iterwalk does not
    give them) and renders a tail of the root (``tail``: a text after ``top``, the
    stylesheet renders none)."""
    cdef Out out
    out.buf = NULL
    out.size = out.cap = 0
    out.line = out.space = out.lines = out.break_char = out.comments = False
    try:
        if walk(&out, top):
            return None
        if (out.comments or tail) and (out.break_char or texts_hold_break(top)
                                       or tail_holds_break(top)):
            return None
        return text_of(&out)
    finally:
        release(&out)


def render(cetree._Element root):
    """The rendering of a page (``render_tree``) from its root element, or None when the
    walk leaves it to the reference."""
    if not lone_root(root._c_node):
        return None
    return rendered(root._c_node, False)


cdef inline xmlNode* after(xmlNode* node, xmlNode* top) noexcept nogil:
    """The node after ``node`` and what it holds in document order, within ``top``: its next
    sibling, or the next sibling of its nearest parent that has one; NULL at ``top``'s end."""
    while node != top:
        if node.next != NULL:
            return node.next
        node = node.parent
    return NULL


cdef bint texts_hold_break(xmlNode* top) noexcept nogil:
    """Whether a text in ``top`` (in its invisible elements too) holds the break
    character."""
    cdef xmlNode* node = top
    while node != NULL:
        if node.type == tree.XML_TEXT_NODE or node.type == tree.XML_CDATA_SECTION_NODE:
            if holds_break(node.content):
                return True
        elif node.children != NULL and node.type == tree.XML_ELEMENT_NODE:
            node = node.children
            continue
        node = after(node, top)
    return False


cdef bint blank(bytes_t s) noexcept nogil:
    """Whether a text is all spaces."""
    cdef int width
    if s == NULL:
        return True
    while s[0]:
        width = space_width(s)
        if not width:
            return False
        s += width
    return True


cdef bint has_tail(xmlNode* node) noexcept nogil:
    """Whether texts other than spaces follow an element (its tail, which a copy of it
    takes along)."""
    node = node.next
    while node != NULL and (node.type == tree.XML_TEXT_NODE
                            or node.type == tree.XML_CDATA_SECTION_NODE):
        if not blank(node.content):
            return True
        node = node.next
    return False


cdef bint tail_holds_break(xmlNode* node) noexcept nogil:
    """Whether an element's tail holds the break character."""
    node = node.next
    while node != NULL and (node.type == tree.XML_TEXT_NODE
                            or node.type == tree.XML_CDATA_SECTION_NODE):
        if holds_break(node.content):
            return True
        node = node.next
    return False


cdef inline bint is_quote(xmlNode* node) noexcept nogil:
    return (node.type == tree.XML_ELEMENT_NODE and node.ns == NULL
            and named(node.name, "blockquote", 10))


def quotes(cetree._Element root):
    """For each outermost blockquote of a page (from its root element), in the page's
    order, its rendering, or the element where the walk leaves it to the reference
    (``quoted_blocks`` renders it); None when the walk leaves the page to the reference."""
    cdef xmlNode* top = root._c_node
    cdef xmlNode* node = top
    if not lone_root(top):
        return None
    out = []
    while node != NULL:
        if is_quote(node):
            text = rendered(node, has_tail(node))
            out.append(cetree.elementFactory(root._doc, node) if text is None else text)
        elif node.children != NULL and node.type == tree.XML_ELEMENT_NODE:
            node = node.children
            continue
        node = after(node, top)
    return out


# ---------------------------------------------------------------- hidden elements


cdef inline bint unseen(xmlNode* node) noexcept nogil:
    """Whether no reader sees an element's text, even shown (script, style, template)."""
    return node.ns == NULL and (named(node.name, "script", 6) or named(node.name, "style", 5)
                                or named(node.name, "template", 8))


cdef inline long long code_points(bytes_t s) noexcept nogil:
    cdef long long n = 0
    if s == NULL:
        return 0
    while s[0]:
        n += (s[0] & 0xC0) != 0x80
        s += 1
    return n


cdef int attribute_value(xmlAttr* attr, bytes_t* value) noexcept nogil:
    """An attribute's value, as lxml reads it, if it is one text of ASCII characters: 0;
    else 1 (left to the reference)."""
    cdef xmlNode* child = attr.children
    cdef bytes_t s
    if child == NULL:
        value[0] = <bytes_t>EMPTY
        return 0
    if child.next != NULL or child.type != tree.XML_TEXT_NODE:
        return 1
    s = child.content
    if s == NULL:
        value[0] = <bytes_t>EMPTY
        return 0
    value[0] = s
    while s[0]:
        if s[0] >= 0x80:
            return 1
        s += 1
    return 0


cdef bint lowered_is(bytes_t s, const char* want) noexcept nogil:
    """Whether ASCII ``s`` lowered is ``want`` (lower case)."""
    cdef unsigned char c
    while s[0] and want[0]:
        c = s[0]
        if b"A"[0] <= c <= b"Z"[0]:
            c += 32
        if c != <unsigned char>want[0]:
            return False
        s += 1
        want += 1
    return s[0] == 0 and want[0] == 0


cdef bint display_none(bytes_t s) noexcept nogil:
    """Whether ASCII ``s``, its spaces removed and lowered, holds ``display:none`` (whose
    first letter occurs once in it: a mismatch starts the search again)."""
    cdef const char* want = "display:none"
    cdef int at = 0
    cdef unsigned char c
    while s[0]:
        c = s[0]
        s += 1
        if c == 32 or 9 <= c <= 13 or 0x1c <= c <= 0x1f:
            continue
        if b"A"[0] <= c <= b"Z"[0]:
            c += 32
        if c == <unsigned char>want[at]:
            at += 1
            if at == 12:
                return True
        else:
            at = 1 if c == b"d"[0] else 0
    return False


cdef int hides(xmlNode* node) noexcept nogil:
    """``html.hides`` of an element: 1 hidden, 0 shown, -1 left to the reference (an
    attribute value with a non-ASCII character)."""
    cdef xmlAttr* attr = node.properties
    cdef bytes_t value
    cdef int found = 0
    while attr != NULL:
        if attr.ns == NULL:
            if named(attr.name, "hidden", 6):
                if attribute_value(attr, &value):
                    return -1
                if not lowered_is(value, "until-found"):
                    found = 1
            elif named(attr.name, "style", 5):
                if attribute_value(attr, &value):
                    return -1
                if display_none(value):
                    found = 1
        attr = attr.next
    return found


def hidden(cetree._Element body, judge):
    """What ``drop_hidden`` reads of a page's body: the outermost elements in it that a
    reader does not see, in the page's order, the characters of their texts and of the
    body's (as ``html._text_chars`` counts them); ``judge`` (``html.hides``) decides for an
    element whose attributes the walk does not read. None when the walk leaves the body
    to the reference."""
    cdef xmlNode* top = body._c_node
    cdef xmlNode* node = top
    cdef xmlNode* outer = NULL   # the hidden element the walk is in
    cdef long long unseen_in = 0   # script, style, template elements the walk is in
    cdef long long unseen_above = 0  # those above ``outer``
    cdef long long chars = 0, here = 0, hidden_chars = 0, n, weight, inner
    cdef int verdict
    found = []
    while True:
        if node.type == tree.XML_ELEMENT_NODE:
            if node.ns != NULL:
                return None
            if unseen(node):
                unseen_in += 1
            if outer == NULL and node != top:
                verdict = hides(node)
                if verdict < 0:
                    verdict = bool(judge(cetree.elementFactory(body._doc, node)))
                if verdict:
                    outer = node
                    unseen_above = unseen_in - unseen(node)
                    here = 0
            if node.children != NULL:
                node = node.children
                continue
        elif node.type == tree.XML_TEXT_NODE:
            # counted once, less once for each script, style or template it is in (a script's
            # text, in none of the others, is not read)
            weight = 1 - unseen_in
            inner = 1 - (unseen_in - unseen_above) if outer != NULL else 0
            if weight or inner:
                n = code_points(node.content)
                chars += n * weight
                here += n * inner
        elif node.type != tree.XML_COMMENT_NODE and node.type != tree.XML_PI_NODE:
            return None
        while True:  # leave the elements ended here
            if node.type == tree.XML_ELEMENT_NODE:
                if unseen(node):
                    unseen_in -= 1
                if node == outer:
                    hidden_chars += here if here > 0 else 0
                    found.append(cetree.elementFactory(body._doc, node))
                    outer = NULL
            if node == top:
                return found, hidden_chars, (chars if chars > 0 else 0)
            if node.next != NULL:
                node = node.next
                break
            node = node.parent


def collapse(str text):
    """``" ".join(text.split())``, by the walk's reading of spaces (for tests)."""
    cdef Out out
    cdef bytes data = text.encode("utf-8")
    out.buf = NULL
    out.size = out.cap = 0
    out.line = out.space = out.lines = out.break_char = out.comments = False
    try:
        feed(&out, data)
        return text_of(&out)
    finally:
        release(&out)
