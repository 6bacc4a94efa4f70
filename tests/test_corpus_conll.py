"""ConllCorpus: sentences, columns, -DOCSTART-, format errors, real CoNLL-2002 counts."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from embedlayer.corpus import ConllCorpus, Sentence
from embedlayer.errors import ConfigError, CorpusError, FormatError

SAMPLE = """-DOCSTART- -X- O

El DA O
Real NP B-ORG
Madrid NP I-ORG
gana VMI O

Hoy RG O
-DOCSTART- -X- O
Lisboa NP B-LOC
"""


def _write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_sentences_tokens_tags_and_columns(tmp_path: Path) -> None:
    corpus = ConllCorpus(_write(tmp_path / "s.conll", SAMPLE))
    sentences = list(corpus)
    assert sentences[0] == Sentence(
        tokens=["El", "Real", "Madrid", "gana"],
        tags=["O", "B-ORG", "I-ORG", "O"],
        columns=(["El", "Real", "Madrid", "gana"], ["DA", "NP", "NP", "VMI"], ["O", "B-ORG", "I-ORG", "O"]),
    )
    # -DOCSTART- is skipped and ends the sentence before it; the last sentence needs no blank.
    assert [s.tokens for s in sentences] == [["El", "Real", "Madrid", "gana"], ["Hoy"], ["Lisboa"]]
    assert corpus.stats.items == 3 and corpus.stats.complete
    assert list(corpus) == sentences  # re-iterable


def test_named_columns_and_negative_indices(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.conll", SAMPLE)
    by_name = ConllCorpus(path, columns=("token", "pos", "ner"), tag_column="pos")
    assert next(iter(by_name)).tags == ["DA", "NP", "NP", "VMI"]
    assert next(iter(ConllCorpus(path, tag_column=-2))).tags == ["DA", "NP", "NP", "VMI"]
    with pytest.raises(ConfigError, match="names no column"):
        ConllCorpus(path, columns=("token", "pos", "ner"), tag_column="lemma")
    with pytest.raises(ConfigError, match="out of range"):
        ConllCorpus(path, columns=("token", "ner"), token_column=2)
    with pytest.raises(ConfigError, match="out of range"):
        list(ConllCorpus(path, tag_column=3))  # checked against the first data line


def test_tab_separated_tokens_may_hold_spaces(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.tsv", "New York\tB-LOC\nis\tO\n\nok\tO\n")
    assert [s.tokens for s in ConllCorpus(path)] == [["New York", "is"], ["ok"]]


def test_column_count_mismatch_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.conll", "a X O\nb Y O\n\nc Z\n")
    with pytest.raises(FormatError, match=r"bad\.conll.*line 4.*2 column.*expected 3.*line 1"):
        list(ConllCorpus(path))
    with pytest.raises(FormatError, match="expected 2, as in the columns= names"):
        list(ConllCorpus(path, columns=("token", "tag")))


def test_skip_line_keeps_line_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path / "enc.conll", b"a X O\nb\xff Y O\nc Z O\n\nd W\n")
    corpus = ConllCorpus(path, errors="skip-line")
    with pytest.raises(FormatError, match="line 5"):
        list(corpus)
    assert corpus.stats.skipped_lines == 1


def test_compressed_and_empty(tmp_path: Path) -> None:
    gz = _write(tmp_path / "s.conll.gz", gzip.compress(SAMPLE.encode()))
    assert len(list(ConllCorpus(gz))) == 3
    with pytest.raises(CorpusError, match="is empty"):
        list(ConllCorpus(_write(tmp_path / "e.conll", "\n-DOCSTART- -X- O\n\n")))


def _blocks(path: Path) -> tuple[int, int]:
    """Independent count: blank-line-separated blocks and their non-empty lines."""
    blocks = [b for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    return len(blocks), sum(len([x for x in b.split("\n") if x.strip()]) for b in blocks)


@pytest.mark.slow
def test_conll2002_spanish_counts(data_dir: Path) -> None:
    path = data_dir / "ner/conll2002/esp.testa"
    n_sentences, n_tokens = _blocks(path)
    sentences = list(ConllCorpus(path, columns=("token", "pos", "ner"), tag_column="ner"))
    assert len(sentences) == n_sentences == 1915
    assert sum(len(s.tokens) for s in sentences) == n_tokens == 52923
    assert all(len(s.tokens) == len(s.tags) for s in sentences)
    tags = {t for s in sentences for t in s.tags}
    assert tags == {"O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"}
