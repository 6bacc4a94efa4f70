"""Tag schemes: chunks read with conlleval's rules, conversions that round-trip, detection, and
the transitions each scheme allows."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedlayer.errors import ConfigError, FormatError
from embedlayer.tasks.tagschemes import (
    Span,
    allowed_transitions,
    check_tags,
    convert,
    detect_scheme,
    from_spans,
    spans,
    split_tag,
)


def test_split_tag_splits_at_the_first_dash():
    assert split_tag("B-PER") == ("B", "PER")
    assert split_tag("I-B-X") == ("I", "B-X")
    assert split_tag("O") == ("O", "")
    assert split_tag("NC") == ("NC", "")


@pytest.mark.parametrize(("tags", "expected"), [
    # an entity at the sentence end is closed there
    (["O", "B-PER", "I-PER"], [(1, 3, "PER")]),
    (["B-LOC"], [(0, 1, "LOC")]),
    # I- without B- starts a chunk (conlleval)
    (["O", "I-ORG", "I-ORG", "O"], [(1, 3, "ORG")]),
    (["I-ORG"], [(0, 1, "ORG")]),
    # a type change inside a span ends one chunk and starts another
    (["B-PER", "I-PER", "I-LOC", "I-LOC"], [(0, 2, "PER"), (2, 4, "LOC")]),
    (["B-PER", "B-PER"], [(0, 1, "PER"), (1, 2, "PER")]),
    # IOB1: B- after a chunk of the same type starts a new one
    (["I-PER", "B-PER", "I-PER"], [(0, 1, "PER"), (1, 3, "PER")]),
    # IOBES
    (["S-LOC", "B-PER", "I-PER", "E-PER", "S-PER"],
     [(0, 1, "LOC"), (1, 4, "PER"), (4, 5, "PER")]),
    (["E-PER", "B-PER", "E-PER"], [(0, 1, "PER"), (1, 3, "PER")]),
    ([], []),
    (["O", "O"], []),
])
def test_spans_follow_conlleval(tags, expected):
    assert spans(tags) == [Span(*s) for s in expected]


def test_plain_tag_sets_make_one_token_chunks():
    assert spans(["NC", "O", "NC", "VMI"], "none") == [(0, 1, "NC"), (2, 3, "NC"), (3, 4, "VMI")]


@st.composite
def span_lists(draw):
    """A sentence length and non-overlapping typed spans in it."""
    length = draw(st.integers(0, 12))
    cuts = sorted(draw(st.lists(st.integers(0, length), max_size=8, unique=True)))
    out = []
    for a, b in itertools.pairwise(cuts):
        if draw(st.booleans()):
            out.append(Span(a, b, draw(st.sampled_from(["PER", "LOC", "ORG"]))))
    return length, out


@given(span_lists())
def test_every_scheme_writes_spans_that_read_back(case):
    length, chunks = case
    for scheme in ("iob1", "iob2", "iobes"):
        tags = from_spans(chunks, length, scheme)
        assert spans(tags) == chunks
        check_tags(tags, scheme)
        assert detect_scheme([tags]) in (scheme, "iob2", "iob1")  # short samples are ambiguous


@given(span_lists(), st.sampled_from(["iob1", "iob2", "iobes"]),
       st.sampled_from(["iob1", "iob2", "iobes"]))
def test_conversions_round_trip(case, source, target):
    length, chunks = case
    tags = from_spans(chunks, length, source)
    there = convert(tags, target, source=source)
    assert convert(there, source, source=target) == tags


def test_conversion_examples():
    iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC"]
    iob2 = ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]
    iobes = ["B-PER", "E-PER", "S-PER", "O", "S-LOC"]
    assert convert(iob1, "iob2") == iob2
    assert convert(iob2, "iobes") == iobes
    assert convert(iobes, "iob1") == iob1
    # a malformed IOB2 sequence comes out as conlleval reads it
    assert convert(["O", "I-PER", "I-LOC"], "iob2") == ["O", "B-PER", "B-LOC"]


def test_none_and_chunk_schemes_do_not_convert_into_each_other():
    with pytest.raises(ConfigError, match="do not convert"):
        convert(["NC"], "iob2", source="none")
    assert convert(["NC", "VMI"], "none", source="none") == ["NC", "VMI"]


def test_detect_scheme():
    assert detect_scheme([["B-PER", "I-PER", "O", "B-LOC"]]) == "iob2"
    assert detect_scheme([["I-PER", "I-PER", "B-PER", "O", "I-LOC"]]) == "iob1"
    assert detect_scheme([["S-PER", "O"], ["B-LOC", "E-LOC"]]) == "iobes"
    assert detect_scheme([["NC", "VMI", "Fp"]]) == "none"
    assert detect_scheme([["O", "O"]]) == "iob2"
    # I- without B- next to proper B- starts: IOB2 with slips, not IOB1
    assert detect_scheme([["O", "I-PER", "O", "B-LOC"]]) == "iob2"


def test_check_tags_names_the_bad_tag():
    with pytest.raises(FormatError, match=r"tag 2 is 'X-PER'"):
        check_tags(["O", "X-PER"], "iob2", "sentence 3")
    with pytest.raises(FormatError, match="belongs to IOBES"):
        check_tags(["S-PER"], "iob2")
    with pytest.raises(FormatError, match="tag 1 is 'B-'"):
        check_tags(["B-"], "iobes")
    check_tags(["NC", "B-X"], "none")
    with pytest.raises(ConfigError, match="unknown tag scheme"):
        check_tags(["O"], "bio")


def _valid(tags, allowed, start, end, index):
    ids = [index[t] for t in tags]
    if not ids:
        return True
    return start[ids[0]] and end[ids[-1]] and all(allowed[a][b] for a, b in itertools.pairwise(ids))


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "iobes"])
def test_allowed_transitions_accept_exactly_the_well_formed_sequences(scheme):
    kinds = ["PER", "LOC"]
    prefixes = "BIES" if scheme == "iobes" else "BI"
    tags = ["O"] + [f"{p}-{k}" for k in kinds for p in prefixes]
    allowed, start, end = allowed_transitions(tags, scheme)
    index = {t: i for i, t in enumerate(tags)}
    for n in range(1, 5):
        for seq in itertools.product(tags, repeat=n):
            seq = list(seq)
            well_formed = convert(seq, scheme) == seq
            assert _valid(seq, allowed, start, end, index) == well_formed, (scheme, seq)


def test_allowed_transitions_examples():
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    allowed, start, end = allowed_transitions(tags, "iob2")
    assert not allowed[0][2] and allowed[1][2] and allowed[2][2] and not allowed[3][2]
    assert start == [True, True, False, True, False] and all(end)
    allowed, start, end = allowed_transitions(["NC", "VMI"], "none")
    assert allowed == [[True, True], [True, True]] and start == end == [True, True]


def test_from_spans_refuses_overlaps():
    with pytest.raises(ConfigError, match="overlaps"):
        from_spans([Span(0, 2, "A"), Span(1, 3, "B")], 4, "iob2")
