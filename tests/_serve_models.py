"""Tiny saved models of every kind `embedlayer serve` loads, and a live server on a free
127.0.0.1 port (uvicorn in a thread), for tests/test_serve*.py."""

from __future__ import annotations

import random
import socket
import threading
import time
from pathlib import Path

import numpy as np

WORDS = ["king", "queen", "man", "woman", "prince", "princess", "boy", "girl", "cat", "dog",
         "paris", "france", "rome", "italy", "good", "great", "bad", "awful", "film", "movie",
         "the", "a", "was", "and", "very", "plot", "acting", "zero"]
TEXTS = ["the king and the queen", "a cat and a dog", "paris and france", "a very good film",
         "an awful plot", "the boy and the girl"]
_BUILT: dict[str, dict[str, Path]] = {}


def _vectors():
    from embedlayer.vectors import Vectors

    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(len(WORDS), 8)).astype(np.float32)
    matrix[WORDS.index("zero")] = 0.0  # a row with no direction
    return Vectors(WORDS, matrix)


def build_models(root: Path, *, trained: bool = True) -> dict[str, Path]:
    """Save each kind under ``root`` once per test session; returns name -> path."""
    key = f"{root}:{trained}"
    if key in _BUILT:
        return _BUILT[key]
    from embedlayer.compress import compress, save_compressed
    from embedlayer.tasks.index import VectorIndex
    from embedlayer.text import get_tokenizer
    from embedlayer.vectors.encoder import StaticEncoder
    from embedlayer.vectors.io import save_vectors

    store = _vectors()
    paths = {"vec": save_vectors(store, root / "vec", progress=False)}
    paths["small"] = save_compressed(compress(store, "int8"), root / "small")
    words = VectorIndex.from_vectors(store)
    words.info = {"source": "vectors", "vectors": str(paths["vec"].resolve())}
    paths["words"] = words.save(root / "words")
    encoder = StaticEncoder(store, get_tokenizer("regex", lowercase=True), method="mean")
    docs = VectorIndex(store.dim, encoder=encoder.identity())
    docs.add([f"d{i}" for i in range(len(TEXTS))], encoder.encode(TEXTS), TEXTS)
    paths["docs"] = docs.save(root / "docs")
    if trained:
        paths["clf"] = _classifier().save(root / "clf")
        paths["tagger"] = _tagger().save(root / "tagger")
    _BUILT[key] = paths
    return paths


def _classifier():
    from embedlayer.nn.encoders import encoder_config
    from embedlayer.tasks import TextClassifier

    rng = random.Random(0)
    texts, labels = [], []
    for i in range(80):
        label = ("pos", "neg")[i % 2]
        cue = rng.choice(["good", "great"] if label == "pos" else ["bad", "awful"])
        texts.append(f"the film was {cue}")
        labels.append(label)
    return TextClassifier(encoder_config("bag", {"bucket": 31}), dim=8, epochs=2,
                          batch_size=16, learning_rate=0.05, workers=1).fit(
        texts, labels, progress=False)


def _tagger():
    from embedlayer.tasks import SequenceTagger, TaggerConfig

    sentences = [["Ana", "vive", "en", "Lima"], ["Juan", "vive", "en", "Quito"]] * 8
    tags = [["B-PER", "O", "O", "B-LOC"]] * 16
    config = TaggerConfig(dim=8, char_dim=4, char_hidden=4, case_dim=2, hidden=8, epochs=1,
                          batch_size=8, seed=0)
    return SequenceTagger(config, workers=1).fit(sentences, tags, progress=False)


class LiveServer:
    """uvicorn serving ``app`` in a daemon thread on a free loopback port."""

    def __init__(self, app) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.sock.close()
