"""TextCorpus / DocumentCorpus: paths, compression, decode policies, re-iteration, memory."""

from __future__ import annotations

import bz2
import gzip
import lzma
import tracemalloc
from pathlib import Path

import pytest

from embedlayer.corpus import CorpusStats, DocumentCorpus, TextCorpus, summarize
from embedlayer.errors import ConfigError, CorpusError, DecodeError, MissingFileError

LINES = ["the quick brown fox", "jumps over", "", "  ", "the lazy dog", "naïve café ∑"]
KEPT = [line for line in LINES if line.strip()]


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    return _write(tmp_path / "a.txt", "\n".join(LINES) + "\n")


# --- lines ---------------------------------------------------------------------------------


def test_yields_lines_without_newlines_and_skips_blank(text_file: Path) -> None:
    assert list(TextCorpus(text_file)) == KEPT


def test_keep_blank_lines(text_file: Path) -> None:
    assert list(TextCorpus(text_file, skip_blank=False)) == LINES


def test_crlf_and_missing_final_newline(tmp_path: Path) -> None:
    path = _write(tmp_path / "crlf.txt", b"one\r\ntwo\r\n\r\nthree\r\nfour")
    assert list(TextCorpus(path, skip_blank=False)) == ["one", "two", "", "three", "four"]


def test_lone_cr_and_unicode_separators_are_not_line_breaks(tmp_path: Path) -> None:
    path = _write(tmp_path / "sep.txt", "a\rb\nc\u2028d\x0ce\n")
    assert list(TextCorpus(path)) == ["a\rb", "c\u2028d\x0ce"]


def test_utf8_sig_strips_bom_once_per_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "bom.txt", b"\xef\xbb\xbfhello\nworld\n")
    assert list(TextCorpus(path, encoding="utf-8-sig")) == ["hello", "world"]
    assert list(TextCorpus(path))[0] == "\ufeffhello"  # utf-8 keeps it, like open()


def test_other_ascii_compatible_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path / "latin.txt", "café\nœuvre\n".encode("cp1252"))
    assert list(TextCorpus(path, encoding="cp1252")) == ["café", "œuvre"]


def test_reiteration_gives_the_same_items(text_file: Path) -> None:
    corpus = TextCorpus(text_file)
    assert list(corpus) == list(corpus) == KEPT


def test_line_longer_than_a_block(tmp_path: Path) -> None:
    long = "x" * (3 * (1 << 18) + 17)
    path = _write(tmp_path / "long.txt", f"a\n{long}\nb")
    assert list(TextCorpus(path)) == ["a", long, "b"]


# --- paths ---------------------------------------------------------------------------------


def test_folder_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    _write(root / "b.txt", "b\n")
    _write(root / "a.txt", "a\n")
    _write(root / "sub" / "c.txt", "c\n")
    _write(root / ".hidden.txt", "hidden\n")
    _write(root / ".git" / "x.txt", "hidden too\n")
    corpus = TextCorpus(root)
    assert [p.relative_to(root).as_posix() for p in corpus.files] == ["a.txt", "b.txt", "sub/c.txt"]
    assert list(corpus) == ["a", "b", "c"]


def test_glob_patterns_and_caller_order(tmp_path: Path) -> None:
    for name in ("x2.txt", "x1.txt", "y.log", "deep/x3.txt"):
        _write(tmp_path / name, name + "\n")
    assert list(TextCorpus(tmp_path / "*.txt")) == ["x1.txt", "x2.txt"]
    assert list(TextCorpus(str(tmp_path / "**" / "x*.txt"))) == ["deep/x3.txt", "x1.txt", "x2.txt"]
    # Several paths keep the caller's order; a file named twice is read once.
    both = TextCorpus([tmp_path / "y.log", tmp_path / "x*.txt", tmp_path / "x1.txt"])
    assert list(both) == ["y.log", "x1.txt", "x2.txt"]


def test_missing_path_names_it(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="nope.txt") as info:
        TextCorpus(tmp_path / "nope.txt")
    assert isinstance(info.value, FileNotFoundError)


def test_glob_or_folder_matching_nothing(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"matches no files"):
        TextCorpus(tmp_path / "*.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="holds no"):
        TextCorpus(tmp_path / "empty")
    with pytest.raises(CorpusError, match="no corpus paths"):
        TextCorpus([])


def test_empty_corpus_raises_at_the_end_of_the_pass(tmp_path: Path) -> None:
    path = _write(tmp_path / "blank.txt", "\n  \n\t\n")
    corpus = TextCorpus(path)  # building it reads nothing
    with pytest.raises(CorpusError, match="is empty"):
        list(corpus)
    assert corpus.stats.lines == 3 and corpus.stats.complete
    assert list(TextCorpus(path, skip_blank=False)) == ["", "  ", "\t"]
    with pytest.raises(CorpusError, match="is empty"):
        list(TextCorpus(_write(tmp_path / "zero.txt", b"")))


# --- compression ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)],
)
def test_compressed_files_by_suffix(tmp_path: Path, suffix: str, compress) -> None:
    raw = ("\n".join(LINES) + "\n").encode()
    path = _write(tmp_path / f"a.txt{suffix}", compress(raw))
    corpus = TextCorpus(path)
    assert list(corpus) == KEPT
    stats = corpus.stats
    assert stats.bytes == path.stat().st_size  # on-disk (compressed) bytes
    assert stats.text_bytes == len(raw)


def test_mixed_folder_of_plain_and_compressed(tmp_path: Path) -> None:
    _write(tmp_path / "1.txt", "one\n")
    _write(tmp_path / "2.txt.gz", gzip.compress(b"two\n"))
    _write(tmp_path / "3.txt.bz2", bz2.compress(b"three\n"))
    assert list(TextCorpus(tmp_path)) == ["one", "two", "three"]


def test_corrupt_compressed_file_names_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.txt.gz", b"this is not gzip data at all")
    with pytest.raises(CorpusError, match=r"bad\.txt\.gz.*gzip"):
        list(TextCorpus(path))
    truncated = _write(tmp_path / "cut.txt.xz", lzma.compress(b"line\n" * 1000)[:-30])
    with pytest.raises(CorpusError, match=r"cut\.txt\.xz"):
        list(TextCorpus(truncated))


# --- decode policies -------------------------------------------------------------------------


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    # Line 3 holds a lone continuation byte, line 5 a truncated 3-byte sequence.
    return _write(tmp_path / "bad.txt", b"ok one\nok two\nbad \x80 here\nok four\nbad \xe2\x82\nend\n")


def test_strict_names_file_line_and_offset(bad_file: Path) -> None:
    with pytest.raises(DecodeError) as info:
        list(TextCorpus(bad_file))
    message = str(info.value)
    assert "bad.txt" in message and "line 3" in message
    assert "byte offset 18" in message and "\\x80" in message and "errors='replace'" in message
    assert info.value.line == 3 and info.value.offset == 18
    assert isinstance(info.value, UnicodeError)


def test_strict_line_number_in_a_later_block(tmp_path: Path) -> None:
    good = b"".join(b"line %d\n" % i for i in range(60_000))  # several 256 KiB blocks
    path = _write(tmp_path / "late.txt", good + b"\xff\xfe broken\n" + b"tail\n")
    with pytest.raises(DecodeError, match="line 60001") as info:
        list(TextCorpus(path))
    assert info.value.offset == len(good)


def test_replace_counts_and_substitutes(bad_file: Path) -> None:
    corpus = TextCorpus(bad_file, errors="replace")
    lines = list(corpus)
    assert lines == ["ok one", "ok two", "bad \ufffd here", "ok four", "bad \ufffd", "end"]
    assert corpus.stats.decode_errors == 2 and corpus.stats.replaced == 2
    assert corpus.stats.skipped_lines == 0
    # Same result as Python's own "replace" handler.
    expected = bad_file.read_bytes().decode("utf-8", "replace").splitlines()
    assert lines == expected


def test_skip_line_drops_and_counts(bad_file: Path) -> None:
    corpus = TextCorpus(bad_file, errors="skip-line")
    assert list(corpus) == ["ok one", "ok two", "ok four", "end"]
    stats = corpus.stats
    assert stats.skipped_lines == 2 and stats.decode_errors == 2 and stats.replaced == 0
    assert stats.lines == 6 and stats.items == 4


def test_all_lines_skipped_is_an_empty_corpus(tmp_path: Path) -> None:
    path = _write(tmp_path / "allbad.txt", b"\xff\n\xfe\n")
    with pytest.raises(CorpusError, match=r"empty.*2 skipped"):
        list(TextCorpus(path, errors="skip-line"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"encoding": "no-such-codec"}, "unknown encoding"),
        ({"encoding": "utf-16"}, "not supported"),
        ({"errors": "ignore"}, "unknown errors policy"),
    ],
)
def test_bad_options_are_config_errors(text_file: Path, kwargs, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        TextCorpus(text_file, **kwargs)


# --- stats and progress --------------------------------------------------------------------------


def test_stats_while_and_after_iterating(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.txt", "1\n2\n")
    b = _write(tmp_path / "b.txt", "3\n\n")
    corpus = TextCorpus([a, b])
    assert corpus.stats == CorpusStats()
    it = iter(corpus)
    next(it)
    assert corpus.stats.files == 1 and not corpus.stats.complete
    list(it)
    assert corpus.stats == CorpusStats(
        files=2, lines=4, items=3, bytes=7, text_bytes=7, complete=True
    )


def test_progress_bar_in_bytes(text_file: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("EMBEDLAYER_PROGRESS", "1")
    list(TextCorpus(text_file, progress=True))
    err = capsys.readouterr().err
    assert "corpus" in err and "100%" in err and "B/s" in err


def test_memory_stays_bounded_by_a_block(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    line = b"the quick brown fox jumps over the lazy dog " * 3 + b"\n"  # 133 bytes
    with path.open("wb") as fh:
        for _ in range(40):
            fh.write(line * 4000)  # 40 x 532 KB = 21 MB
    corpus = TextCorpus(path)
    tracemalloc.start()
    try:
        count = sum(1 for _ in corpus)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 160_000
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a 21 MB file"


def test_memory_for_one_long_line_is_bounded_by_that_line(tmp_path: Path) -> None:
    size = 8 << 20
    path = _write(tmp_path / "oneline.txt", b"y" * size)  # no newline at all
    tracemalloc.start()
    try:
        lengths = [len(line) for line in TextCorpus(path)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lengths == [size]
    assert peak < 3 * size  # the pieces, their join and the decoded line; never the file twice


# --- documents -------------------------------------------------------------------------------


def test_document_per_line_is_text_corpus(data_dir: Path) -> None:
    # 300 documents: `wc -l` says 299 because the last line has no newline.
    docs = DocumentCorpus(data_dir / "corpora/en/lee_background.txt")
    assert sum(1 for _ in docs) == 300
    assert docs.stats.items == 300
    # lee.cor is Latin-1 ("\xa33,000" is "£3,000"): strict UTF-8 stops at its first pound sign.
    lee = data_dir / "docsim/lee/lee.cor"
    with pytest.raises(DecodeError, match=r"lee\.cor.*line 41.*\\xa3"):
        list(DocumentCorpus(lee))
    docs = DocumentCorpus(lee, encoding="latin-1")
    assert len(list(docs)) == 50 and any("£3,000" in doc for doc in docs)


def test_document_per_file(tmp_path: Path) -> None:
    _write(tmp_path / "d1.txt", "first line\n\nsecond line\n")
    _write(tmp_path / "d2.txt", "\n\n")  # nothing kept: no document
    _write(tmp_path / "d3.txt", "only line")
    docs = DocumentCorpus(tmp_path, per="file")
    assert list(docs) == ["first line\nsecond line", "only line"]
    assert docs.stats.items == 2 and docs.stats.files == 3
    with pytest.raises(ConfigError, match="per="):
        DocumentCorpus(tmp_path, per="sentence")  # type: ignore[arg-type]


def test_summarize_counts_whitespace_tokens(text_file: Path) -> None:
    summary = summarize(TextCorpus(text_file))
    assert summary.tokens == sum(len(line.split()) for line in KEPT)
    assert summary.stats.items == len(KEPT) and summary.stats.complete


@pytest.mark.slow
def test_shared_english_corpora_line_counts(data_dir: Path) -> None:
    # Independent count: Python's own text mode, lines with a non-space character.
    files = sorted((data_dir / "corpora/en").glob("*.txt"))
    expected = 0
    for path in files:
        with path.open(encoding="utf-8") as fh:
            expected += sum(1 for line in fh if line.strip())
    corpus = TextCorpus(data_dir / "corpora/en/*.txt")
    assert corpus.files == tuple(files)
    assert sum(1 for _ in corpus) == expected
    assert corpus.stats.bytes == sum(p.stat().st_size for p in files)
