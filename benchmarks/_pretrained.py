"""Word vectors trained once by embedlayer's own trainers on the English corpora, cached.

Shared by the benchmarks that need "this project's" word2vec, fastText or GloVe vectors
(bench_classify, bench_qa, bench_retrofit): one place trains them (lower-cased regex tokens of all of
corpora/en/*.txt, bench_word2vec's ``CORPORA``), saves them into the cache and loads them back.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_word2vec import CORPORA  # noqa: E402 - the same English corpora


def cache_root() -> Path:
    return Path(os.environ.get("EMBEDLAYER_CACHE", Path.home() / ".cache" / "embedlayer"))


def trained_vectors(trainer: str, settings: dict, path: Path, *, progress: bool = True):
    """Train ``trainer`` ("word2vec", "fasttext" or "glove") with ``settings`` into ``path``
    unless it exists (word2vec, GloVe: a native folder; fastText: a .bin with its subword
    buckets), then load."""
    from embedlayer import data
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import TokenStream, get_tokenizer
    from embedlayer.train import FastText, GloVe, Word2Vec
    from embedlayer.vectors.io import load_vectors

    if not path.exists():
        estimator = {"word2vec": Word2Vec, "fasttext": FastText, "glove": GloVe}[trainer]
        files = [data.path(n, progress=progress) for n in CORPORA]
        stream = TokenStream(TextCorpus(files), get_tokenizer("regex", lowercase=True))
        t0 = time.perf_counter()
        model = estimator(**settings).fit(stream, progress=progress)
        print(f"trained {path.name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save_vectors(path)
    return load_vectors(path, progress=False)
