"""Tag schemes of sequence labelling: IOB1, IOB2, IOBES, and plain tag sets.

What it holds: splitting a tag into its prefix and type (``"B-PER"`` -> ``("B", "PER")``),
reading the chunks (entity spans) of a tag sequence with the CoNLL ``conlleval`` script's
rules, writing spans back in any scheme (so :func:`convert` turns one scheme into another),
telling a data set's scheme from its tags (:func:`detect_scheme`), and the transitions a
scheme allows between two tags (:func:`allowed_transitions`, the constraints of a CRF).
Pure Python: importable without numpy or torch. What it leaves out: scoring
(``tasks.tagging_metrics``) and models (``tasks.tag``, ``nn.crf``).

Schemes (Tjong Kim Sang & Veenstra 1999; Ratinov & Roth 2009):

- ``iob1``: ``I-X`` inside a chunk, ``B-X`` only for the first token of a chunk that directly
  follows another chunk of the same type (CoNLL-2003's original files);
- ``iob2``: ``B-X`` on the first token of every chunk, ``I-X`` on the others (CoNLL-2002);
- ``iobes``: ``B-X`` first, ``I-X`` middle, ``E-X`` last, ``S-X`` a one-token chunk;
- ``none``: a plain tag set (part-of-speech tags): every tag is a label of its own. A token
  tagged with anything but ``O`` is a one-token chunk of that type, so entity-level scores
  become token-level ones.

Chunks are read with ``conlleval``'s ``startOfChunk`` / ``endOfChunk`` rules, whatever the
scheme, which makes every sequence readable: an ``I-X`` without a ``B-X`` before it starts a
chunk, a change of type inside a span ends one chunk and starts another. For ``E`` and ``S``
the rules are those of the later ``conlleval`` releases (and ``seqeval``): a chunk always ends
after ``E`` or ``S``, and ``S`` always starts one. The script splits a tag at its first ``-``;
so does :func:`split_tag`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

from embedlayer.errors import ConfigError, FormatError

__all__ = [
    "SCHEMES",
    "Scheme",
    "Span",
    "allowed_transitions",
    "check_tags",
    "convert",
    "detect_scheme",
    "from_spans",
    "is_chunk_tag",
    "spans",
    "split_tag",
]

Scheme = Literal["iob1", "iob2", "iobes", "none"]
SCHEMES: tuple[str, ...] = ("iob1", "iob2", "iobes", "none")
_CHUNK_PREFIXES = frozenset("BIES")


class Span(NamedTuple):
    """One chunk: tokens ``start`` to ``end - 1`` (``end`` exclusive) of type ``type``."""

    start: int
    end: int
    type: str


def split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` -> ``("O", "")``; split at the first ``-``.

    A tag without ``-`` (other than ``O``) comes back whole as its prefix with an empty type,
    as ``conlleval`` reads it.
    """
    prefix, dash, kind = tag.partition("-")
    return (prefix, kind) if dash else (tag, "")


def is_chunk_tag(tag: str) -> bool:
    """True for ``O`` and for ``B-X`` / ``I-X`` / ``E-X`` / ``S-X`` with a non-empty type."""
    if tag == "O":
        return True
    prefix, kind = split_tag(tag)
    return prefix in _CHUNK_PREFIXES and bool(kind)


def _check_scheme(scheme: str) -> str:
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown tag scheme {scheme!r}; expected one of {', '.join(SCHEMES)}")
    return scheme


def check_tags(tags: Sequence[str], scheme: str, where: str = "tags") -> None:
    """``FormatError`` naming the first tag that a chunk scheme cannot read (``none``: any
    non-empty string is a tag)."""
    _check_scheme(scheme)
    for i, tag in enumerate(tags):
        if not isinstance(tag, str) or not tag:
            raise FormatError(f"{where}: tag {i + 1} is {tag!r}; expected a non-empty string")
        if scheme == "none":
            continue
        prefix, kind = split_tag(tag)
        if tag != "O" and not (prefix in _CHUNK_PREFIXES and kind):
            raise FormatError(f"{where}: tag {i + 1} is {tag!r}, not a {scheme.upper()} tag; "
                              f"expected O or B-/I-/E-/S- followed by a type")
        if prefix in ("E", "S") and scheme != "iobes":
            raise FormatError(f"{where}: tag {i + 1} is {tag!r}: {prefix}- belongs to IOBES, "
                              f"not {scheme.upper()}")


def _ends(prev: str, prev_kind: str, cur: str, kind: str) -> bool:
    """conlleval's endOfChunk: does a chunk end between the previous token and this one?"""
    if prev in ("E", "S"):
        return True
    if prev in ("B", "I") and cur in ("B", "S", "O"):
        return True
    return prev not in ("O", ".") and prev_kind != kind


def _starts(prev: str, prev_kind: str, cur: str, kind: str) -> bool:
    """conlleval's startOfChunk: does a chunk start at this token?"""
    if cur in ("B", "S"):
        return True
    if prev in ("E", "S", "O") and cur in ("E", "I"):
        return True
    return cur not in ("O", ".") and prev_kind != kind


def spans(tags: Sequence[str], scheme: str = "iob2") -> list[Span]:
    """The chunks of one sentence's tags, in order, read with conlleval's rules.

    ``scheme="none"``: every token not tagged ``O`` is a one-token chunk typed by its tag.
    The chunk scheme itself does not change the reading (the rules read IOB1, IOB2 and IOBES
    alike); it is there for ``none``.
    """
    if scheme == "none":
        return [Span(i, i + 1, t) for i, t in enumerate(tags) if t != "O"]
    out: list[Span] = []
    prev, prev_kind = "O", ""
    start: int | None = None
    for i, tag in enumerate(tags):
        cur, kind = split_tag(tag)
        if start is not None and _ends(prev, prev_kind, cur, kind):
            out.append(Span(start, i, prev_kind))
            start = None
        if _starts(prev, prev_kind, cur, kind):
            start = i
        prev, prev_kind = cur, kind
    if start is not None:  # a chunk open at the sentence end ends there
        out.append(Span(start, len(tags), prev_kind))
    return out


def from_spans(chunks: Iterable[Span], length: int, scheme: str) -> list[str]:
    """The tags of a ``length``-token sentence holding ``chunks`` (in order, not overlapping)."""
    _check_scheme(scheme)
    tags = ["O"] * length
    last_end, last_type = -1, ""
    for start, end, kind in chunks:
        if not 0 <= start < end <= length or start < last_end:
            raise ConfigError(f"from_spans: span ({start}, {end}, {kind!r}) is outside "
                              f"0..{length} or overlaps the one before")
        if scheme == "none":
            tags[start:end] = [kind] * (end - start)
        elif scheme == "iob2":
            tags[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 1)
        elif scheme == "iob1":
            first = "B" if start == last_end and kind == last_type else "I"
            tags[start:end] = [f"{first}-{kind}"] + [f"I-{kind}"] * (end - start - 1)
        elif end - start == 1:
            tags[start] = f"S-{kind}"
        else:
            tags[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 2) + [f"E-{kind}"]
        last_end, last_type = end, kind
    return tags


def convert(tags: Sequence[str], to: str, *, source: str = "iob2") -> list[str]:
    """``tags`` (any chunk scheme, or ``source="none"``) written in scheme ``to``.

    Well-formed sequences round-trip exactly (``iob1 -> iob2 -> iob1``...); a malformed one
    (``I-X`` without ``B-X`` in IOB2) comes out as conlleval reads it.
    """
    _check_scheme(to)
    _check_scheme(source)
    if (source == "none") != (to == "none"):
        raise ConfigError(f"convert: cannot turn tag scheme {source!r} into {to!r}; plain tag "
                          "sets and chunk schemes do not convert into each other")
    if to == "none":
        return list(tags)
    return from_spans(spans(tags), len(tags), to)


def detect_scheme(sentences: Iterable[Sequence[str]]) -> str:
    """The scheme of a data set's tag sequences.

    ``none`` unless every tag is ``O`` or ``B-/I-/E-/S-`` + type; ``iobes`` when ``E-`` or
    ``S-`` occurs; ``iob1`` when some chunk starts with ``I-`` and none starts with a ``B-``
    that follows something other than its own type; else ``iob2`` (with both kinds of start,
    the ``I-`` starts are read as IOB2's "I- without B-" slips).
    """
    i_starts = b_starts = 0
    seen_es = False
    for tags in sentences:
        prev, prev_kind = "O", ""
        for tag in tags:
            if not is_chunk_tag(tag):
                return "none"
            cur, kind = split_tag(tag)
            seen_es = seen_es or cur in ("E", "S")
            continuing = prev != "O" and prev_kind == kind
            if cur == "I" and not continuing:
                i_starts += 1
            elif cur == "B" and not continuing:
                b_starts += 1
            prev, prev_kind = cur, kind
    if seen_es:
        return "iobes"
    return "iob1" if i_starts and not b_starts else "iob2"


def allowed_transitions(
    tags: Sequence[str], scheme: str,
) -> tuple[list[list[bool]], list[bool], list[bool]]:
    """(``allowed[i][j]``: tag j may follow tag i, ``start[j]``: a sentence may begin with tag
    j, ``end[i]``: may end with tag i) for the strict form of ``scheme``.

    IOB2: ``I-X`` only after ``B-X`` or ``I-X``. IOB1: ``B-X`` only after ``B-X`` or ``I-X``.
    IOBES: ``I-X`` and ``E-X`` only after ``B-X`` or ``I-X``; ``B``, ``S`` and ``O`` only
    after ``E``, ``S``, ``O`` or at the start; a sentence ends only after ``E``, ``S`` or
    ``O``. ``none``: everything allowed.
    """
    _check_scheme(scheme)
    n = len(tags)
    if scheme == "none":
        return [[True] * n for _ in range(n)], [True] * n, [True] * n
    check_tags(tags, scheme, "allowed_transitions")
    parts = [split_tag(t) for t in tags]

    def may_follow(prev: tuple[str, str] | None, cur: tuple[str, str]) -> bool:
        p, pk = prev if prev is not None else ("O", "")
        c, ck = cur
        inside = p in ("B", "I") and pk == ck  # the previous token is in a chunk of this type
        if scheme == "iob2":
            return c != "I" or inside
        if scheme == "iob1":
            return c != "B" or inside
        # iobes
        if c in ("I", "E"):
            return inside
        return p in ("E", "S", "O")

    allowed = [[may_follow(a, b) for b in parts] for a in parts]
    start = [may_follow(None, b) for b in parts]
    end = [scheme != "iobes" or p in ("E", "S", "O") for p, _ in parts]
    return allowed, start, end
