"""Generate ``src/embedlayer/data/registry.json`` from a local data mirror.

The hand-written part of the registry lives here: dataset names, formats, licence notes,
provenance and the public URLs of byte-identical copies. Sizes and sha256 come from the
mirror's ``SHA256SUMS`` (and are checked against the files). Run it again when the mirror
changes; ``--check`` only compares and exits 1 on a difference (CI).

    python scripts/make_data_registry.py [--data ../shared/data] [--check]

Leaves out everything at run time: the package only reads the JSON (``embedlayer.data``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "embedlayer" / "data" / "registry.json"
FORMAT_VERSION = 1

# The project's own mirror: same layout as ../shared/data. It is NOT published yet, so the
# default is a placeholder on the reserved `.invalid` domain (never resolves); files without a
# byte-identical public copy download only when EMBEDLAYER_MIRROR names a real mirror.
MIRROR = {
    "env": "EMBEDLAYER_MIRROR",
    "default_base": "https://mirror.embedlayer.invalid/data/v1/",
    "note": (
        "The project's data mirror, laid out like the local mirror (../shared/data): "
        "<base>/<file path>. The default is a placeholder (reserved .invalid domain): no public "
        "project mirror exists yet. EMBEDLAYER_MIRROR, when set, replaces every download URL."
    ),
}

NOTES = {
    "url": (
        "A public copy of the file byte-for-byte identical to the mirror (same sha256), pinned "
        "to a tag where the host allows it. Absent: the mirror file is derived from its origin "
        "(re-encoded, re-laid-out, extracted from an archive) and downloads from the mirror."
    ),
    "url_verified": (
        "true: the bytes behind the URL were compared with the mirror when the registry was "
        "made (gensim 4.4.0 wheel test data hashed; eval-word-vectors MEN and CA8 compared by "
        "length and content through an indexed copy of the repository). false: the URL is the "
        "public origin the file was collected from, not re-checked; the sha256 check on "
        "download still guards it."
    ),
}

NLTK = "https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/corpora/{}.zip"
GENSIM_TAG = "4.4.0"
GENSIM = f"https://raw.githubusercontent.com/piskvorky/gensim/{GENSIM_TAG}/gensim/test/test_data/"
GENSIM_TREE = f"https://github.com/piskvorky/gensim/tree/{GENSIM_TAG}/gensim/test/test_data"
FARUQUI = "https://raw.githubusercontent.com/mfaruqui/eval-word-vectors/master/data/word-sim/"
WORDSIM_LICENCE = (
    "collected in mfaruqui/eval-word-vectors (MIT-licensed repository); the pairs and scores "
    "keep their authors' terms: research use, cite the original paper"
)
CORNELL = "https://www.cs.cornell.edu/people/pabo/movie-review-data/"
NLTK_NOTE = "as distributed with NLTK data; research use (see the corpus README in the zip)"


def _nltk_text(name: str, nltk_id: str, title: str, citation: str, licence: str = NLTK_NOTE,
               derived: str = "the NLTK corpus files concatenated into one UTF-8 text file, "
                              "one source line a line") -> dict:
    return {
        "name": name, "title": title, "citation": citation, "format": "text-lines",
        "encoding": "utf-8", "licence": licence, "origin": NLTK.format(nltk_id),
        "derived": derived, "files": [f"corpora/en/{name.replace('-', '_')}.txt"],
    }


def _wordsim(name: str, file: str, title: str, citation: str, *, verified: bool) -> dict:
    return {
        "name": name, "title": title, "citation": citation, "format": "word-pairs",
        "encoding": "utf-8", "licence": WORDSIM_LICENCE,
        "origin": "https://github.com/mfaruqui/eval-word-vectors",
        "derived": None, "files": [f"wordsim/{file}"],
        "urls": {f"wordsim/{file}": (FARUQUI + file, verified)},
    }


# Gensim test-data file names differ from the mirror's for a few files.
_GENSIM_NAMES = {
    "corpora/en/lee_background.txt": "lee_background.cor",
    "corpora/en/enwiki-sample.xml.bz2":
        "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
    "analogy/questions-words.txt": "questions-words.txt",
    "docsim/lee/lee.cor": "lee.cor",
    "docsim/lee/similarities0-1.txt": "similarities0-1.txt",
}


def _gensim_urls(paths: list[str]) -> dict:
    return {p: (GENSIM + _GENSIM_NAMES.get(p, Path(p).name), True) for p in paths}


SPEC: list[dict] = [
    {
        "name": "brown", "title": "Brown Corpus, 1961 American English, 15 genres",
        "citation": "Francis & Kucera 1964/1979", "format": "tokenized-lines",
        "encoding": "utf-8",
        "licence": "distributed with NLTK data; redistribution permitted",
        "origin": NLTK.format("brown"),
        "derived": "part-of-speech tags removed; one sentence a line, tokens space-separated",
        "files": ["corpora/en/brown.txt"],
    },
    {
        "name": "movie-reviews", "title": "2,000 IMDb movie reviews (polarity 2.0), sentences",
        "citation": "Pang & Lee 2004", "format": "tokenized-lines", "encoding": "utf-8",
        "licence": f"Cornell movie-review data, {NLTK_NOTE}",
        "origin": NLTK.format("movie_reviews"),
        "derived": "all reviews concatenated, lower-cased and tokenized, one sentence a line",
        "files": ["corpora/en/movie_reviews.txt"],
    },
    _nltk_text("abc", "abc", "Australian Broadcasting Commission rural and science news",
               "NLTK abc corpus", licence=f"copyright the ABC; {NLTK_NOTE}"),
    _nltk_text("state-union", "state_union", "US State of the Union addresses 1945-2006",
               "NLTK state_union corpus",
               licence="US government works: public domain (NLTK data copy)"),
    _nltk_text("inaugural", "inaugural", "US presidential inaugural addresses",
               "NLTK inaugural corpus",
               licence="US government works: public domain (NLTK data copy)"),
    _nltk_text("webtext", "webtext", "Web text: forum, reviews, ads, chat",
               "NLTK webtext corpus"),
    _nltk_text("genesis", "genesis", "Book of Genesis, King James Version",
               "NLTK genesis corpus (english-kjv)",
               licence="King James Version: public domain (Crown copyright in the UK)",
               derived="english-kjv.txt from the NLTK corpus"),
    {
        "name": "lee-background", "title": "Lee news corpus, one document a line",
        "citation": "Lee, Pincombe & Welsh 2005", "format": "text-lines", "encoding": "utf-8",
        "licence": "shipped with gensim's test data (gensim: LGPL-2.1); research use",
        "origin": GENSIM_TREE, "derived": None,
        "files": ["corpora/en/lee_background.txt"],
        "urls": _gensim_urls(["corpora/en/lee_background.txt"]),
    },
    {
        "name": "enwiki-sample",
        "title": "A real English Wikipedia XML dump, shortened to 206 pages (bzip2)",
        "citation": "Wikipedia contributors", "format": "wikipedia-xml-bz2",
        "encoding": "utf-8",
        "licence": "Wikipedia text: CC BY-SA (attribution to Wikipedia contributors)",
        "origin": "https://dumps.wikimedia.org/enwiki/", "derived": None,
        "files": ["corpora/en/enwiki-sample.xml.bz2"],
        "urls": _gensim_urls(["corpora/en/enwiki-sample.xml.bz2"]),
    },
    {
        "name": "sinica-segmented",
        "title": "Academia Sinica treebank sentences, traditional Chinese, gold segmentation",
        "citation": "Academia Sinica (NLTK sinica_treebank sample)",
        "format": "tokenized-lines", "encoding": "utf-8",
        "licence": f"Academia Sinica; {NLTK_NOTE}", "origin": NLTK.format("sinica_treebank"),
        "derived": "treebank leaves joined by spaces, one sentence a line",
        "files": ["corpora/zh/sinica_segmented.txt"],
    },
    {
        "name": "sinica-unsegmented",
        "title": "The sinica-segmented sentences with the spaces removed (segmenter input)",
        "citation": "Academia Sinica (NLTK sinica_treebank sample)",
        "format": "text-lines", "encoding": "utf-8",
        "licence": f"Academia Sinica; {NLTK_NOTE}", "origin": NLTK.format("sinica_treebank"),
        "derived": "sinica-segmented with the spaces between words removed",
        "files": ["corpora/zh/sinica_unsegmented.txt"],
    },
    _wordsim("ws353-all", "EN-WS-353-ALL.txt", "WordSim-353, all 353 pairs",
             "Finkelstein et al. 2002", verified=False),
    _wordsim("ws353-rel", "EN-WS-353-REL.txt", "WordSim-353, relatedness subset",
             "Agirre et al. 2009", verified=False),
    _wordsim("ws353-sim", "EN-WS-353-SIM.txt", "WordSim-353, similarity subset",
             "Agirre et al. 2009", verified=False),
    _wordsim("simlex999", "EN-SIMLEX-999.txt", "SimLex-999", "Hill, Reichart & Korhonen 2015",
             verified=False),
    _wordsim("men3k", "EN-MEN-TR-3k.txt", "MEN, 3,000 pairs", "Bruni, Tran & Baroni 2014",
             verified=True),
    _wordsim("mc30", "EN-MC-30.txt", "Miller & Charles, 30 pairs", "Miller & Charles 1991",
             verified=False),
    _wordsim("rg65", "EN-RG-65.txt", "Rubenstein & Goodenough, 65 pairs",
             "Rubenstein & Goodenough 1965", verified=False),
    _wordsim("mturk287", "EN-MTurk-287.txt", "MTurk-287", "Radinsky et al. 2011",
             verified=False),
    {
        "name": "google-analogy",
        "title": "Google analogy set: 19,544 questions, 5 semantic + 9 syntactic sections",
        "citation": "Mikolov et al. 2013", "format": "analogy", "encoding": "utf-8",
        "licence": "from the word2vec distribution (Apache-2.0)",
        "origin": "https://code.google.com/archive/p/word2vec/", "derived": None,
        "files": ["analogy/questions-words.txt"],
        "urls": _gensim_urls(["analogy/questions-words.txt"]),
    },
    {
        "name": "ca8-semantic", "title": "Chinese analogy set CA8, semantic part (simplified)",
        "citation": "Li et al. 2018", "format": "analogy", "encoding": "utf-8",
        "licence": "no licence file in the repository; research use, cite the paper",
        "origin": "https://github.com/Embedding/Chinese-Word-Vectors", "derived": None,
        "files": ["analogy/CA8-semantic.txt"],
        "urls": {"analogy/CA8-semantic.txt": (
            "https://raw.githubusercontent.com/Embedding/Chinese-Word-Vectors/master/"
            "testsets/CA8/semantic.txt", True)},
    },
    {
        "name": "mr", "title": "MR sentence polarity: 5,331 positive + 5,331 negative snippets",
        "citation": "Pang & Lee 2005", "format": "polarity-lines", "encoding": "utf-8",
        "licence": f"Cornell movie-review data; {NLTK_NOTE}",
        "origin": NLTK.format("sentence_polarity"),
        "derived": "rt-polarity.pos/.neg of NLTK sentence_polarity; no official split (10-fold CV)",
        "files": ["classify/mr/rt-polarity.pos", "classify/mr/rt-polarity.neg"],
    },
    {
        "name": "trec", "title": "TREC question classification, 5,452 train / 500 test",
        "citation": "Li & Roth 2002", "format": "trec-qc", "encoding": "latin-1",
        "licence": "Cognitive Computation Group (UIUC); research use",
        "origin": "https://cogcomp.seas.upenn.edu/Data/QA/QC/",
        "derived": "train.txt / test.txt of NLTK qc (Li & Roth's train_5500 and TREC_10 sets)",
        "files": ["classify/trec/train.txt", "classify/trec/test.txt"],
    },
    {
        "name": "polarity2.0", "title": "Movie review polarity v2.0: 1,000 + 1,000 documents",
        "citation": "Pang & Lee 2004", "format": "polarity-docs", "encoding": "utf-8",
        "licence": "Cornell movie-review data; research use",
        "origin": CORNELL,
        "derived": "review_polarity.tar.gz unpacked to pos/ and neg/, one review a file",
        "files": ["classify/polarity2.0/"],
    },
    {
        "name": "conll2002-esp",
        "title": "CoNLL-2002 Spanish named entities (train / testa dev / testb test)",
        "citation": "Tjong Kim Sang 2002", "format": "conll", "encoding": "utf-8",
        "licence": "CoNLL-2002 shared task data (EFE news text), research use; "
                   f"{NLTK_NOTE}",
        "origin": NLTK.format("conll2002"),
        "derived": "NLTK conll2002 esp.* files: token POS IOB2-tag a line, no -DOCSTART- lines",
        "files": ["ner/conll2002/esp.train", "ner/conll2002/esp.testa",
                  "ner/conll2002/esp.testb"],
    },
    {
        "name": "lee-docsim",
        "title": "Lee document similarity: 50 documents and 50x50 human ratings",
        "citation": "Lee, Pincombe & Welsh 2005", "format": "lee-docsim",
        "encoding": "latin-1",
        "licence": "shipped with gensim's test data (gensim: LGPL-2.1); research use",
        "origin": GENSIM_TREE, "derived": None,
        "files": ["docsim/lee/lee.cor", "docsim/lee/similarities0-1.txt"],
        "urls": _gensim_urls(["docsim/lee/lee.cor", "docsim/lee/similarities0-1.txt"]),
    },
    {
        "name": "wikiqa-test", "title": "WikiQA answer-sentence selection, test split",
        "citation": "Yang, Yih & Meek 2015", "format": "wikiqa-tsv", "encoding": "utf-8",
        "licence": "Microsoft Research data licence: research use",
        "origin": "https://www.microsoft.com/en-us/download/details.aspx?id=52419",
        "derived": "WikiQA-test.tsv extracted from WikiQACorpus.zip",
        "files": ["qa/wikiqa/WikiQA-test.tsv"],
    },
    {
        "name": "cess-esp", "title": "CESS-ESP Spanish treebank text (news), one sentence a line",
        "citation": "Marti et al. 2007", "format": "tokenized-lines", "encoding": "utf-8",
        "licence": f"CESS-ECE corpus; research use; {NLTK_NOTE}",
        "origin": NLTK.format("cess_esp"),
        "derived": "treebank leaves joined by spaces, one sentence a line, multiword names split",
        "files": ["corpora/es/cess_esp.txt"],
    },
    {
        "name": "swadesh",
        "title": "Swadesh basic-vocabulary lists as English-foreign word pairs (es, it, fr, de, "
                 "pt, nl)",
        "citation": "Wiktionary Swadesh lists (NLTK swadesh)", "format": "bilingual-pairs",
        "encoding": "utf-8", "licence": "Wiktionary: CC BY-SA; " + NLTK_NOTE,
        "origin": NLTK.format("swadesh"),
        "derived": "each concept's single-word variants paired, lower-cased, 'english foreign' "
                   "a line",
        "files": ["bilingual/swadesh/"],
    },
    {
        "name": "ppdb-xl", "title": "PPDB 1.0 XL lexical paraphrases as a retrofitting graph",
        "citation": "Ganitkevitch et al. 2013; Faruqui et al. 2015", "format": "lexicon-graph",
        "encoding": "utf-8", "licence": "PPDB: CC BY 3.0",
        "origin": "https://github.com/mfaruqui/retrofitting", "derived": None,
        "files": ["lexicons/ppdb-xl.txt"],
    },
    {
        "name": "formats",
        "title": "Vector files written by the original tools (word2vec, GloVe, fastText)",
        "citation": "gensim test data", "format": "vector-files", "encoding": None,
        "licence": "test data shipped with gensim (LGPL-2.1)",
        "origin": GENSIM_TREE, "derived": None,
        "files": ["formats/"], "urls": "gensim",
    },
]


# Resources a system package installs (not in the mirror, never downloaded by embedlayer):
# where they usually live, the environment variable that overrides it, the files that must be
# there, and the command that installs them. ``embedlayer.data.system_path`` resolves them.
SYSTEM = [
    {
        "name": "wordnet",
        "title": "WordNet 3.0 database files (data.*, index.*, *.exc)",
        "citation": "Miller 1995; Fellbaum 1998",
        "licence": "WordNet 3.0 licence (Princeton University; permissive, BSD-style)",
        "origin": "https://wordnet.princeton.edu/",
        "env": "EMBEDLAYER_WORDNET",
        "paths": ["/usr/share/wordnet"],
        "package": "wordnet-base",
        "install": "apt-get install wordnet-base",
        "files": [
            "data.adj", "data.adv", "data.noun", "data.verb",
            "index.adj", "index.adv", "index.noun", "index.verb",
            "adj.exc", "adv.exc", "noun.exc", "verb.exc",
        ],
    },
]


def _read_sums(data: Path) -> dict[str, str]:
    sums: dict[str, str] = {}
    for line in (data / "SHA256SUMS").read_text("utf-8").splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            sums[rel.strip().lstrip("*")] = digest
    return sums


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_gensim(rel: str, url: str, digest: str) -> None:
    """Where gensim is installed, prove the 'verified' gensim URLs byte-identical."""
    try:
        import gensim  # optional: a test-only dependency
    except ImportError:
        return
    local = Path(gensim.__file__).parent / "test" / "test_data" / url.rsplit("/", 1)[1]
    if not local.is_file() or _sha256(local) != digest:
        sys.exit(f"{rel}: gensim's copy {local} differs from the mirror; fix the URL")


def build(data: Path) -> dict:
    sums = _read_sums(data)
    datasets = []
    for spec in SPEC:
        paths: list[str] = []
        for entry in spec["files"]:
            if entry.endswith("/"):
                paths += sorted(p for p in sums if p.startswith(entry))
            else:
                paths.append(entry)
        urls = spec.get("urls", {})
        if urls == "gensim":
            urls = _gensim_urls(paths)
        files = []
        for rel in paths:
            if rel not in sums:
                sys.exit(f"{spec['name']}: {rel} is not listed in {data / 'SHA256SUMS'}")
            size = (data / rel).stat().st_size
            entry = {"path": rel, "size": size, "sha256": sums[rel]}
            if rel in urls:
                url, verified = urls[rel]
                entry.update(url=url, url_verified=verified)
                if url.startswith(GENSIM):
                    _check_gensim(rel, url, sums[rel])
            files.append(entry)
        record = {k: v for k, v in spec.items() if k not in ("files", "urls")}
        datasets.append({**record, "files": files})
    listed = [f["path"] for d in datasets for f in d["files"]]
    if sorted(listed) != sorted(sums) or len(set(listed)) != len(listed):
        extra = sorted(set(sums) - set(listed))[:5]
        sys.exit(f"datasets do not cover SHA256SUMS exactly once (first unlisted: {extra})")
    return {"format_version": FORMAT_VERSION, "mirror": MIRROR, "notes": NOTES,
            "datasets": datasets, "system": SYSTEM}


def render(registry: dict) -> str:
    """JSON with one line per file entry, so a diff shows exactly which file changed."""
    text = json.dumps(registry, indent=1, ensure_ascii=False)
    # Collapse each {"path": ...} object (indent 3 and 4 inside "files") onto one line.
    text = re.sub(
        r'\{\n\s+("path".*?)\n\s+\}',
        lambda m: "{" + re.sub(r",\n\s+", ", ", m.group(1)) + "}",
        text, flags=re.S,
    )
    return text + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("EMBEDLAYER_DATA", str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--data", type=Path, default=Path(default.split(os.pathsep)[0]))
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    args = parser.parse_args()
    text = render(build(args.data))
    if args.check:
        stale = not OUT.is_file() or OUT.read_text("utf-8") != text
        print(f"{OUT}: {'stale' if stale else 'up to date'}")
        return int(stale)
    tmp = OUT.with_suffix(".json.tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, OUT)
    print(f"wrote {OUT} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
