"""A small demo folder for the plot tests, made once per session (about 10 s): the quick demo
on two corpora (vectors, eval.json, classifier/ with its history) and a word2vec model folder
saved with its loss per epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from embedlayer.demo import DemoSettings, run_demo

    threads = torch.get_num_threads()
    out = tmp_path_factory.mktemp("plot") / "demo"
    try:
        run_demo(output=out, corpora=("genesis", "lee-background"),
                 settings=DemoSettings.quick(workers=1), progress=False, log=lambda _: None)
    finally:
        torch.set_num_threads(threads)
    return out


@pytest.fixture(scope="session")
def w2v_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from embedlayer.train import Word2Vec

    rng = np.random.default_rng(0)
    corpus = [[f"w{i}" for i in rng.integers(0, 12, size=8)] for _ in range(200)]
    model = Word2Vec(dim=8, epochs=3, min_count=1, sample=0.0, workers=1, seed=3,
                     chunk_words=300).fit(corpus, progress=False)
    return model.save(tmp_path_factory.mktemp("plot") / "w2v.model")


def png(path: Path, *, min_size: tuple[int, int] = (300, 200)) -> np.ndarray:
    """The picture at ``path`` as an array, checked to be a PNG of some size that is not blank."""
    import matplotlib.image

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    image = matplotlib.image.imread(path)
    assert image.shape[0] >= min_size[1] and image.shape[1] >= min_size[0], image.shape
    assert float(image[..., :3].var()) > 0, f"{path} is blank"
    return image
