"""Turning MediaWiki markup into plain article text (``strip_markup``).

Holds only the markup stripper; reading the XML dump is ``wiki.py``. It is a pragmatic
stripper for building embedding corpora, not a MediaWiki renderer: templates are dropped (not
expanded), and so are tables, references, images and categories.

What happens, in order:

1. comments ``<!-- -->`` and elements whose content is not prose (``<ref>``, ``<math>``,
   ``<gallery>``, ``<timeline>``, ``<syntaxhighlight>``, ...; paired or self-closing) go;
2. templates and parser functions ``{{...}}`` (nested) go, then tables ``{| ... |}`` (nested);
3. internal links: ``[[target|label]]`` → label, ``[[target]]`` → target,
   ``[[File:/Image:/Media:/Category:...]]`` and interlanguage links go entirely, captions
   with nested links included;
4. external links ``[http://x label]`` → label, ``[http://x]`` → nothing;
5. other HTML tags go (their content stays), ``''``/``'''`` quotes and magic words
   (``__TOC__``) go;
6. line by line: headings ``== H ==`` keep their text as a line of their own, list and
   indentation markers (``* # : ;``) go, rules ``----`` go; lines with no letter or digit go;
7. HTML entities are unescaped (``&nbsp;`` becomes a plain space), runs of spaces collapse.

The result is paragraphs (one per source line) joined by ``"\\n"``.

No regular expression here can backtrack catastrophically: nested constructs are matched by
linear scans over their delimiters, and every pattern is made of disjoint character classes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

__all__ = ["strip_markup"]

# Elements whose whole content is dropped (their text is not article prose).
_DROP_ELEMENTS = (
    "ref", "references", "math", "chem", "ce", "gallery", "timeline", "score", "hiero",
    "syntaxhighlight", "source", "graph", "mapframe", "maplink", "imagemap", "templatedata",
    "templatestyles", "inputbox", "categorytree", "poem-no",
)
_DROP_OPEN = re.compile(
    r"<(" + "|".join(_DROP_ELEMENTS) + r")\b[^<>]*>", re.IGNORECASE
)
_DROP_CLOSE = {
    name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _DROP_ELEMENTS
}

_NAMESPACE_DROP = frozenset({"file", "image", "media", "category"})
# Interlanguage links such as [[de:Anarchismus]] or [[zh-min-nan:...]].
_INTERLANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z]{2,8})*:")

_EXTERNAL_LINK = re.compile(
    r"\[(?:(?:https?|ftps?|mailto|news|irc|gopher|nntp|telnet|worldwind):|//)[^\s\[\]]*"
    r"(?:[ \t]+([^\[\]\n]*))?\]",
    re.IGNORECASE,
)
_BREAK_TAG = re.compile(r"<br\s*/?>|</?(?:p|div|li|tr|td|th|blockquote)\b[^<>]*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_QUOTES = re.compile(r"'{2,}")
_MAGIC_WORD = re.compile(r"__[A-Z]+__")
_EMPTY_PARENS = re.compile(r"\(\s*[,;:]*\s*\)")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.;:!?])")
_SPACES = re.compile(r"[ \t\u00a0\u2009\u200b\u202f]+")
_HAS_WORD = re.compile(r"\w")


def _drop_comments(text: str) -> str:
    out, pos = [], 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            break
        out.append(text[pos:start])
        end = text.find("-->", start + 4)
        if end < 0:  # an unclosed comment runs to the end, as MediaWiki renders it
            return "".join(out)
        pos = end + 3
    out.append(text[pos:])
    return "".join(out)


def _drop_elements(text: str) -> str:
    """Remove ``<ref>...</ref>``-like elements; an unclosed one loses only its opening tag."""
    out, pos = [], 0
    unclosed: set[str] = set()  # names with no closing tag after some point: never search again
    while True:
        m = _DROP_OPEN.search(text, pos)
        if m is None:
            break
        out.append(text[pos : m.start()])
        pos = m.end()
        name = m.group(1).lower()
        if m.group().endswith("/>") or name in unclosed:
            continue
        close = _DROP_CLOSE[name].search(text, pos)
        if close is None:
            unclosed.add(name)
        else:
            pos = close.end()
    out.append(text[pos:])
    return "".join(out)


def _drop_nested(text: str, opener: str, closer: str) -> str:
    """Remove balanced ``opener ... closer`` spans (nested ones inside); one linear scan.

    Unbalanced delimiters are removed on their own, so none survive into the output.
    """
    if opener not in text:
        return text.replace(closer, "") if closer in text else text
    token = re.compile(re.escape(opener) + "|" + re.escape(closer))
    spans: list[tuple[int, int]] = []  # (start, end) of removed text
    stack: list[int] = []
    for m in token.finditer(text):
        if m.group() == opener:
            stack.append(m.start())
        elif stack:
            # Every closed pair is recorded; pairs inside a larger one are skipped below.
            # Recording inner pairs too matters when the outer opener is never closed.
            spans.append((stack.pop(), m.end()))
        else:
            spans.append((m.start(), m.end()))  # a stray closer
    # Openers never closed: drop just the delimiter (the text after it is kept as prose).
    spans.extend((s, s + len(opener)) for s in stack)
    spans.sort()
    out, pos = [], 0
    for start, end in spans:
        if start < pos:  # inside a span already removed
            continue
        out.append(text[pos:start])
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _render_link(inner: str) -> str:
    """The visible text of one internal link ``[[inner]]`` (nested links already rendered)."""
    target, bar, label = inner.partition("|")
    head = target.strip()
    prefix, colon, _rest = head.partition(":")
    if colon and prefix.strip().lower() in _NAMESPACE_DROP:
        return ""
    if bar:
        label = label.strip()
        return label if label else head.split(" (", 1)[0]  # the "pipe trick" [[A (b)|]] → A
    if _INTERLANGUAGE.match(head):
        return ""
    return head.lstrip(":").replace("#", " ").strip()


def _render_links(text: str, render: Callable[[str], str] = _render_link) -> str:
    """Replace ``[[...]]`` links, innermost first, with their visible text; one linear scan."""
    if "[[" not in text:
        return text.replace("]]", "")
    stack: list[list[str]] = [[]]  # one buffer per open link; stack[0] is the output
    pos = 0
    for m in re.finditer(r"\[\[|\]\]", text):
        stack[-1].append(text[pos : m.start()])
        pos = m.end()
        if m.group() == "[[":
            stack.append([])
        elif len(stack) > 1:
            inner = "".join(stack.pop())
            stack[-1].append(render(inner))
        # a stray "]]" at depth 0 is dropped
    stack[-1].append(text[pos:])
    while len(stack) > 1:  # unclosed "[[": keep its text, drop the brackets
        inner = "".join(stack.pop())
        stack[-1].append(inner)
    return "".join(stack[0])


def _clean_line(line: str) -> str:
    line = line.strip()
    if not line:
        return ""
    first = line[0]
    if first == "=":
        line = line.strip("=").strip()
    elif first in "*#:;":
        line = line.lstrip("*#:; \t")
        if first == ";":
            line = line.replace(" : ", ": ", 1)  # "; term : definition"
    elif line.startswith("----"):
        line = line.lstrip("-")
    elif first == "|" or first == "!":  # table rows whose table lost its opening {|
        return ""
    return line


def strip_markup(wikitext: str) -> str:
    """Plain text of a MediaWiki article: paragraphs joined by ``"\\n"`` (see module doc)."""
    text = _drop_comments(wikitext)
    text = _drop_elements(text)
    text = _drop_nested(text, "{{", "}}")
    text = _drop_nested(text, "{|", "|}")
    text = _render_links(text)
    text = _EXTERNAL_LINK.sub(lambda m: m.group(1) or "", text)
    text = _BREAK_TAG.sub(" ", text)
    text = _HTML_TAG.sub("", text)
    text = _QUOTES.sub("", text)
    text = _MAGIC_WORD.sub("", text)
    text = "\n".join(_clean_line(raw) for raw in text.split("\n"))
    # Entities last, so an escaped "&lt;ref&gt;" in the source stays text, not markup.
    text = html.unescape(text)
    text = _EMPTY_PARENS.sub("", text)  # "( ; )" left behind by removed templates
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return "\n".join(
        line for raw in text.split("\n") if (line := raw.strip()) and _HAS_WORD.search(line)
    )
