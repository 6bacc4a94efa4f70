"""Lexicons for retrofitting: a word -> neighbour-words graph, read from a lexicon file or
from WordNet 3.0.

What it holds: :class:`Lexicon` (the words and a CSR adjacency over them: a plain value, no
reader state), :func:`read_lexicon` for Faruqui et al.'s text format (``word neighbour
neighbour ...`` a line, as PPDB is shipped with their retrofitting tool: the mirror's
``ppdb-xl`` dataset), :func:`wordnet_lexicon` (synonyms, and optionally hypernyms, hyponyms or
antonyms, as edges) read by NLTK's maintained ``WordNetCorpusReader`` from the database files
that Debian's ``wordnet-base`` installs (:func:`open_wordnet`), and :func:`load_lexicon`,
which turns ``ppdb`` / ``wordnet`` / a path into a ``Lexicon``.

Why here (``data``, layer L1) and not in ``transform``: these are readers of data files, like
the benchmark readers beside them; ``transform.retrofit`` (L3) takes the plain ``Lexicon``
they return. What it leaves out: the retrofitting itself, matching words to a vector
vocabulary (``embedlayer.transform.retrofit``), and any hand-written WordNet parser. NLTK (the
``knowledge`` extra) is imported only when WordNet is read.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, FormatError, MissingFileError

__all__ = [
    "LEXICON_NAMES",
    "Lexicon",
    "WordNetRelation",
    "load_lexicon",
    "open_wordnet",
    "read_lexicon",
    "wordnet_lexicon",
]

# Which WordNet links become edges. synonyms: the other lemmas of each synset of the word;
# hypernyms / hyponyms: the lemmas of the synsets one step up / down (instance links
# included); antonyms: the lemma-level antonym links (for counter-fitting's repulsion).
WordNetRelation = Literal["synonyms", "hypernyms", "hyponyms", "antonyms"]
WORDNET_RELATIONS: tuple[str, ...] = get_args(WordNetRelation)

# The names load_lexicon resolves besides paths.
LEXICON_NAMES = ("ppdb", "wordnet")

_FORMAT = ("Faruqui et al.'s lexicon format: UTF-8 text, one word a line followed by its "
           "neighbours, separated by spaces ('word neighbour neighbour ...')")


@dataclass(frozen=True, eq=False)
class Lexicon:
    """A directed graph over words: ``words[i]``'s neighbours are
    ``words[indices[indptr[i]:indptr[i + 1]]]`` (CSR; no self-loops, no repeated edge).

    ``words`` holds every word that has or is a neighbour, heads first in input order.
    Build one with :meth:`from_dict` (or the readers of this module).

    >>> lex = Lexicon.from_dict({"car": ["auto", "automobile"], "auto": ["car"]})
    >>> lex.neighbours("car"), len(lex), lex.num_edges
    (['auto', 'automobile'], 3, 3)
    """

    words: tuple[str, ...]
    indptr: np.ndarray   # (len(words) + 1,) int64
    indices: np.ndarray  # (num_edges,) int32, into `words`
    name: str = "lexicon"

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Iterable[str]], *, name: str = "lexicon") -> Lexicon:
        """A lexicon from ``{word: neighbours}``; self-loops and repeated neighbours dropped."""
        ids: dict[str, int] = {}
        for head in mapping:
            ids.setdefault(head, len(ids))
        rows: list[list[int]] = []
        for head, neighbours in mapping.items():
            me = ids[head]
            row: dict[int, None] = {}  # ordered set: first occurrence wins
            for word in neighbours:
                j = ids.setdefault(word, len(ids))
                if j != me:
                    row[j] = None
            rows.append(list(row))
        indptr = np.zeros(len(ids) + 1, dtype=np.int64)
        indptr[1:len(rows) + 1] = np.cumsum([len(r) for r in rows], dtype=np.int64)
        indptr[len(rows) + 1:] = indptr[len(rows)]
        indices = np.fromiter((j for r in rows for j in r), dtype=np.int32,
                              count=int(indptr[-1]))
        return cls(tuple(ids), indptr, indices, name)

    def __len__(self) -> int:
        """Number of distinct words (heads and neighbours)."""
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._ids

    @functools.cached_property
    def _ids(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    @property
    def num_edges(self) -> int:
        """Number of (word, neighbour) edges."""
        return int(self.indices.shape[0])

    @property
    def degrees(self) -> np.ndarray:
        """(len(words),) int64: each word's number of neighbours."""
        return np.diff(self.indptr)

    def neighbours(self, word: str) -> list[str]:
        """``word``'s neighbours in input order (empty when it has none or is unknown)."""
        i = self._ids.get(word)
        if i is None:
            return []
        return [self.words[j] for j in self.indices[self.indptr[i]:self.indptr[i + 1]]]

    def to_dict(self) -> dict[str, list[str]]:
        """``{word: neighbours}`` for every word with at least one neighbour."""
        return {w: self.neighbours(w) for w, d in zip(self.words, self.degrees, strict=True)
                if d}

    def __repr__(self) -> str:
        heads = int(np.count_nonzero(self.degrees))
        return (f"Lexicon({self.name!r}: {len(self):,} words, {heads:,} with neighbours, "
                f"{self.num_edges:,} edges)")


# --- Faruqui's text format -----------------------------------------------------------------

def _looks_like_vectors(rows: list[list[str]]) -> bool:
    """True when the lines look like a word-vector file (a word then >= 2 numbers, constant)."""
    sample = [r for r in rows[:200] if len(r) >= 3]
    if len(sample) < max(1, len(rows[:200]) // 2) or len({len(r) for r in sample}) != 1:
        return False
    try:
        for r in sample:
            [float(x) for x in r[1:]]
    except ValueError:
        return False
    return True


def read_lexicon(path: PathLike, *, lowercase: bool = True, name: str | None = None) -> Lexicon:
    """Read a lexicon in Faruqui et al.'s format: ``word neighbour neighbour ...`` a line.

    Words are lower-cased (as their reference code does) unless ``lowercase`` is false; a word
    listed on several lines gets the union of its neighbours. Lines with a word and no
    neighbour are allowed, blank lines skipped. A file that is not in this format (binary, a
    CSV, a word-vector file, an empty file, or one where no line has a neighbour) is a
    ``FormatError`` naming the file and the expected format.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: no such lexicon file (expected {_FORMAT})")
    raw = path.read_bytes()
    where = f"{path}: not a lexicon file"
    if b"\x00" in raw[:1 << 16]:
        raise FormatError(f"{where} (binary data, NUL bytes); expected {_FORMAT}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{where} (invalid UTF-8 at byte {exc.start:,}); expected "
                          f"{_FORMAT}") from None
    rows = [line.lower().split() if lowercase else line.split()
            for line in text.splitlines()]
    rows = [r for r in rows if r]
    if not rows:
        raise FormatError(f"{where} (empty: no word on any line); expected {_FORMAT}")
    if _looks_like_vectors(rows):
        raise FormatError(f"{where} (it looks like a word-vector file: a word then numbers "
                          f"on every line); expected {_FORMAT}")
    if not any(len(r) > 1 for r in rows):
        comma = any("," in r[0] or ";" in r[0] for r in rows[:100])
        why = ("one comma- or semicolon-separated field a line: a CSV?" if comma
               else "no line lists a neighbour")
        raise FormatError(f"{where} ({why}); expected {_FORMAT}")
    graph: dict[str, list[str]] = {}
    for head, *neighbours in rows:
        graph.setdefault(head, []).extend(neighbours)
    return Lexicon.from_dict(graph, name=name or path.stem)


# --- WordNet ---------------------------------------------------------------------------------

# WordNet 3.0's lexicographer file names (the `lexnames` file; numbers and names as in the
# lexnames(5WN) manual page). Debian's wordnet-base does not ship that file, but NLTK's reader
# opens it when it starts (only Synset.lexname() uses it), so it is served from here.
_LEXNAMES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance",
    "noun.time", "verb.body", "verb.change", "verb.cognition", "verb.communication",
    "verb.competition", "verb.consumption", "verb.contact", "verb.creation", "verb.emotion",
    "verb.motion", "verb.perception", "verb.possession", "verb.social", "verb.stative",
    "verb.weather", "adj.ppl",
)
_POS_CODE = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}


def _lexnames_text() -> str:
    return "".join(f"{i:02d}\t{n}\t{_POS_CODE[n.split('.')[0]]}\n"
                   for i, n in enumerate(_LEXNAMES))


def _import_reader() -> Any:
    try:
        import nltk.data
        from nltk.corpus.reader.wordnet import WordNetCorpusReader
    except ModuleNotFoundError:
        raise ConfigError("reading WordNet needs NLTK: pip install 'embedlayer[knowledge]'"
                          ) from None
    return nltk.data, WordNetCorpusReader


@functools.lru_cache(maxsize=2)
def _open_wordnet(root: Path) -> Any:
    nltk_data, reader_cls = _import_reader()

    class _DebianWordNet(reader_cls):  # type: ignore[misc, valid-type]
        """NLTK's reader over a bare WordNet 3.0 ``dict/`` folder (as Debian installs it)."""

        def open(self, file: str) -> Any:  # noqa: A003 - NLTK's method name
            if file == "lexnames" and not (root / file).is_file():
                return io.StringIO(_lexnames_text())
            return super().open(file)

        def map_wn(self, version: str = "wordnet") -> None:
            # NLTK maps synsets to its own downloaded WordNet for the multilingual (OMW)
            # functions; without OMW there is nothing to map, and no download to look for.
            return None

    # NLTK >= 3.9.3 reads only below its data path (nltk.pathsec); add this folder to it.
    if str(root) not in [str(p) for p in nltk_data.path]:
        nltk_data.path.append(str(root))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*multilingual functions.*")
        return _DebianWordNet(str(root), omw_reader=None)


def open_wordnet(root: PathLike | None = None) -> Any:
    """NLTK's ``WordNetCorpusReader`` over WordNet 3.0's database files (cached per folder).

    The folder is ``root`` when given, else ``EMBEDLAYER_WORDNET``, else
    ``/usr/share/wordnet`` (Debian's ``wordnet-base``): ``embedlayer.data.system_path``. A
    missing WordNet is a ``DataError`` that names the package to install; a missing NLTK a
    ``ConfigError`` naming the ``knowledge`` extra. Two gaps of Debian's folder are bridged
    without parsing any database file: the ``lexnames`` list NLTK opens on start (WordNet's
    fixed 45 lexicographer file names) and NLTK's mapping to its own downloaded WordNet
    (multilingual data only; turned off).
    """
    from embedlayer.data._system import system_path

    folder = system_path("wordnet", root=root).resolve()
    _import_reader()  # a missing NLTK is reported before anything else happens
    return _open_wordnet(folder)


def _check_relations(relations: str | Sequence[str]) -> tuple[str, ...]:
    items = [relations] if isinstance(relations, str) else list(relations)
    parts = [p.strip() for item in items for p in str(item).split(",") if p.strip()]
    bad = [p for p in parts if p not in WORDNET_RELATIONS]
    if bad or not parts:
        raise ConfigError(f"WordNet relations must be a non-empty list of "
                          f"{', '.join(WORDNET_RELATIONS)}; got {relations!r}")
    return tuple(dict.fromkeys(parts))


@dataclass(frozen=True)
class _WordNetLinks:
    """What the lexicons need from WordNet, read in one pass (synsets in NLTK's order)."""

    lemmas: list[tuple[str, ...]]        # each synset's lemma names, as WordNet spells them
    up: list[tuple[int, ...]]            # hypernym + instance-hypernym synsets (indices)
    down: list[tuple[int, ...]]          # hyponym + instance-hyponym synsets (indices)
    antonyms: list[tuple[str, str]]      # (lemma, antonym lemma) pairs


_LINKS: dict[Path, _WordNetLinks] = {}  # per WordNet folder: read once a process


def _wordnet_links(folder: Path, progress: bool) -> _WordNetLinks:
    if folder not in _LINKS:
        _LINKS[folder] = _read_links(folder, progress)
    return _LINKS[folder]


def _read_links(folder: Path, progress: bool) -> _WordNetLinks:
    wn = _open_wordnet(folder)
    from embedlayer._progress import progress_bar

    synsets = []
    with progress_bar(desc="wordnet", unit="synset", enabled=progress) as bar:
        for synset in wn.all_synsets():  # NLTK's line parser: the slow part (seconds)
            synsets.append(synset)
            bar.update(1)
    index = {s.name(): i for i, s in enumerate(synsets)}
    antonyms = [(lemma.name(), a.name()) for s in synsets for lemma in s.lemmas()
                for a in lemma.antonyms()]
    return _WordNetLinks(
        lemmas=[tuple(s.lemma_names()) for s in synsets],
        up=[tuple(index[h.name()] for h in s.hypernyms() + s.instance_hypernyms())
            for s in synsets],
        down=[tuple(index[h.name()] for h in s.hyponyms() + s.instance_hyponyms())
              for s in synsets],
        antonyms=antonyms,
    )


def wordnet_lexicon(
    relations: str | Sequence[str] = ("synonyms",), *, root: PathLike | None = None,
    multiword: bool = False, lowercase: bool = True, progress: bool = False,
) -> Lexicon:
    """A lexicon from WordNet 3.0: every lemma's neighbours over the chosen relations.

    ``relations`` (a list, or a comma-separated string) from ``synonyms`` (the other lemmas
    of every synset the word belongs to: Faruqui et al.'s WordNet lexicon), ``hypernyms`` and
    ``hyponyms`` (the lemmas of the synsets one link up / down, instance links included;
    synonyms + both is their "WN_all") and ``antonyms`` (WordNet's lemma-to-lemma antonym
    links, for retrofitting's antonym repulsion; give them alone). Lemmas are lower-cased
    unless ``lowercase`` is false; multiword lemmas (``domestic_dog``) are dropped unless
    ``multiword`` is true, which keeps them with their underscores. All parts of speech.
    ``root``: the WordNet folder (see :func:`open_wordnet`). The first call in a process
    reads every synset through NLTK (seconds); later calls reuse what it read.
    """
    from embedlayer.data._system import system_path

    rels = _check_relations(relations)
    open_wordnet(root)  # the clear errors: WordNet or NLTK missing
    links = _wordnet_links(system_path("wordnet", root=root).resolve(), progress)

    def names(lemma_names: Iterable[str]) -> list[str]:
        out = [n.lower() if lowercase else n for n in lemma_names]
        return out if multiword else [n for n in out if "_" not in n]

    own = [names(lemmas) for lemmas in links.lemmas]  # per synset
    graph: dict[str, dict[str, None]] = {}
    for i, words in enumerate(own):
        if not words:
            continue
        targets: list[str] = []
        if "synonyms" in rels:
            targets += words
        if "hypernyms" in rels:
            for j in links.up[i]:
                targets += own[j]
        if "hyponyms" in rels:
            for j in links.down[i]:
                targets += own[j]
        if targets:
            for word in words:
                graph.setdefault(word, {}).update(dict.fromkeys(targets))
    if "antonyms" in rels:
        for lemma, opposite in links.antonyms:
            pair = names([lemma, opposite])
            if len(pair) == 2:
                graph.setdefault(pair[0], {}).update({pair[1]: None})
    return Lexicon.from_dict(graph, name="wordnet:" + "+".join(rels))


def load_lexicon(
    spec: PathLike, *, relations: str | Sequence[str] = ("synonyms",),
    root: PathLike | None = None, multiword: bool = False, progress: bool = False,
) -> Lexicon:
    """``ppdb`` (the registered ``ppdb-xl`` dataset), ``wordnet`` (:func:`wordnet_lexicon`
    with ``relations``, ``root`` and ``multiword``) or the path of a lexicon file
    (:func:`read_lexicon`). ``relations`` apply to WordNet only.
    """
    key = str(spec).strip().lower()
    if key == "wordnet":
        return wordnet_lexicon(relations, root=root, multiword=multiword, progress=progress)
    if key == "ppdb" and not Path(spec).exists():
        from embedlayer.data._resolve import path as data_path

        return read_lexicon(data_path("ppdb-xl", progress=progress), name="ppdb-xl")
    if not Path(spec).exists():
        raise MissingFileError(f"{spec}: no such lexicon file; expected a path or one of "
                               f"{', '.join(LEXICON_NAMES)}")
    return read_lexicon(spec)
