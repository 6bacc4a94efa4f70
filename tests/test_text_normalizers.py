"""Normalizers alone: each rewrite, its options, bad options, and its dict round trip."""

from __future__ import annotations

import pytest

from embedlayer.errors import ConfigError
from embedlayer.text import (
    Lowercase,
    NormalizerSequence,
    NumberNormalizer,
    StripAccents,
    UnicodeNormalizer,
    component_from_dict,
)


@pytest.mark.parametrize(
    ("form", "text", "expected"),
    [
        ("NFC", "cafe\u0301", "café"),
        ("NFD", "café", "cafe\u0301"),
        ("NFKC", "\ufb01ne \uff21\uff22 x\u00b2", "fine AB x2"),
        ("NFKD", "\ufb01", "fi"),
        ("NFC", "\ufb01", "\ufb01"),  # NFC keeps compatibility characters
    ],
)
def test_unicode_forms(form, text, expected):
    assert UnicodeNormalizer(form).normalize(text) == expected


def test_unicode_form_is_checked():
    with pytest.raises(ConfigError, match="NFC, NFKC, NFD, NFKD"):
        UnicodeNormalizer("NFX")  # type: ignore[arg-type]


def test_lowercase_and_casefold():
    assert Lowercase().normalize("Straße ÄÖ İstanbul") == "straße äö i̇stanbul"
    assert Lowercase(casefold=True).normalize("Straße") == "strasse"
    with pytest.raises(ConfigError, match="casefold"):
        Lowercase(casefold="yes")  # type: ignore[arg-type]


def test_numbers_zero_maps_every_decimal_digit():
    assert NumberNormalizer("zero").normalize("In 2024, 3.14 and \u0663") == "In 0000, 0.00 and 0"


def test_numbers_token_replaces_standalone_numbers_only():
    norm = NumberNormalizer("token")
    text = "pay 1,000.50 now, 3.14. mp3 1990s covid-19 -5 (42)"
    assert norm.normalize(text) == "pay <num> now, <num>. mp3 1990s covid-<num> -<num> (<num>)"
    assert norm.protected_tokens == ("<num>",)
    assert NumberNormalizer("token", placeholder="NUM").normalize("in 1999") == "in NUM"


def test_numbers_keep_is_identity():
    norm = NumberNormalizer("keep")
    assert norm.normalize("3.14 and 42") == "3.14 and 42"
    assert norm.protected_tokens == ()


def test_numbers_options_are_checked():
    with pytest.raises(ConfigError, match="keep, zero, token"):
        NumberNormalizer("drop")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="spaces"):
        NumberNormalizer("token", placeholder="<a num>")


def test_strip_accents():
    assert StripAccents().normalize("naïve Zürich café Ångström") == "naive Zurich cafe Angstrom"
    assert StripAccents().normalize("plain ascii") == "plain ascii"
    assert StripAccents().normalize("ß ø") == "ß ø"  # letters, not letter + mark


def test_sequence_applies_in_order_and_collects_placeholders():
    seq = NormalizerSequence(
        (UnicodeNormalizer("NFKC"), Lowercase(), StripAccents(), NumberNormalizer("token"))
    )
    assert seq.normalize("ＡＢＣ Café 12") == "abc cafe <num>"
    assert seq.protected_tokens == ("<num>",)
    with pytest.raises(ConfigError, match="non-normalizer"):
        NormalizerSequence(("lower",))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "normalizer",
    [
        UnicodeNormalizer("NFKD"),
        Lowercase(casefold=True),
        NumberNormalizer("token", placeholder="<N>"),
        StripAccents(),
        NormalizerSequence((UnicodeNormalizer(), Lowercase(), NumberNormalizer("zero"))),
    ],
)
def test_dict_round_trip(normalizer):
    data = normalizer.to_dict()
    assert data["type"] == type(normalizer).__name__
    assert component_from_dict(data) == normalizer
