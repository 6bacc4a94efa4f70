"""tasks.retriever: contrastive fine-tuning of a TransformerEncoder (a tiny random BERT written
by the test, so it runs in seconds), its loss against a plain reference, saving the result as
a checkpoint, and tasks.qa.retrieval_examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch  # noqa: E402

from embedlayer.contextual import TransformerEncoder  # noqa: E402
from embedlayer.data.readers import QAQuestion  # noqa: E402
from embedlayer.errors import ConfigError  # noqa: E402
from embedlayer.tasks import (  # noqa: E402
    RetrievalExample,
    fine_tune_retriever,
    retrieval_examples,
)
from embedlayer.tasks.retriever import _batch_loss  # noqa: E402

from .tiny_bert import write_tiny_bert  # noqa: E402

EXAMPLES = [
    RetrievalExample("good film", ["great movie", "lovely movie"], ["awful plot", "dull plot"]),
    RetrievalExample("bad film", ["awful movie"], ["superb acting", "wonderful plot"]),
    RetrievalExample("odd plot", ["strange plot", "weird plot"], ["good acting"]),
    RetrievalExample("boring acting", ["dull acting"], ["great plot", "curious film"]),
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TransformerEncoder:
    folder = write_tiny_bert(tmp_path_factory.mktemp("bert") / "tiny")
    return TransformerEncoder(folder, pooling="mean", normalize=True, workers=1)


def _margin(encoder: TransformerEncoder, examples: list[RetrievalExample]) -> float:
    """Mean over examples of (lowest positive cosine - highest negative cosine)."""
    out = []
    for ex in examples:
        v = encoder.encode([ex.query, *ex.positives, *ex.negatives])
        v = v / np.linalg.norm(v, axis=1, keepdims=True)
        cos = v[1:] @ v[0]
        out.append(cos[:len(ex.positives)].min() - cos[len(ex.positives):].max())
    return float(np.mean(out))


def _reference_loss(encoder: TransformerEncoder, batch: list[RetrievalExample],
                    scale: float) -> float:
    """InfoNCE written out: one term per (query, positive) over the batch's documents (by
    position), leaving out the columns whose text is one of the query's positives except the
    target column itself."""
    docs = [t for ex in batch for t in (*ex.positives, *ex.negatives)]
    texts = list(dict.fromkeys([ex.query for ex in batch] + docs))
    vec = {t: v / np.linalg.norm(v) for t, v in zip(texts, encoder.encode(texts), strict=True)}
    terms = []
    start = 0
    for ex in batch:
        for j in range(start, start + len(ex.positives)):
            kept = [k for k, d in enumerate(docs) if k == j or d not in ex.positives]
            logits = np.array([scale * vec[ex.query] @ vec[docs[k]] for k in kept])
            top = logits.max()
            terms.append(np.log(np.exp(logits - top).sum()) + top
                         - scale * vec[ex.query] @ vec[docs[j]])
        start += len(ex.positives) + len(ex.negatives)
    return float(np.mean(terms))


def _loss(encoder: TransformerEncoder, batch: list[RetrievalExample], scale: float) -> float:
    texts = list(dict.fromkeys(t for ex in batch for t in (ex.query, *ex.positives,
                                                            *ex.negatives)))
    row = {t: i for i, t in enumerate(texts)}
    encodings = encoder._tokenizer.encode_batch(texts)
    with torch.no_grad():
        return float(_batch_loss(encoder, encoder._model, batch, row, encodings,
                                 encoder._pad_id(), scale))


def test_batch_loss_matches_a_plain_reference(tiny: TransformerEncoder):
    batch = EXAMPLES[:3]
    assert _loss(tiny, batch, 20.0) == pytest.approx(_reference_loss(tiny, batch, 20.0),
                                                      rel=1e-4, abs=1e-4)


def test_a_text_that_is_positive_twice_is_not_its_own_negative(tiny: TransformerEncoder):
    # the same sentence is the positive of two queries in one batch: the copy under the
    # other query must not count as a negative of the first
    batch = [RetrievalExample("good film", ["great movie"], ["awful plot"]),
             RetrievalExample("lovely film", ["great movie"], ["dull plot"])]
    got = _loss(tiny, batch, 20.0)
    assert got == pytest.approx(_reference_loss(tiny, batch, 20.0), rel=1e-4, abs=1e-4)
    # counting the copy under the other query as a negative gives a larger loss
    v = tiny.encode(["good film", "lovely film", "great movie", "awful plot", "dull plot"])
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    naive = []
    for q, j in ((0, 0), (1, 2)):  # the query and its target column among the 4 documents
        logits = 20.0 * v[2:][[0, 1, 0, 2]] @ v[q]
        naive.append(np.log(np.exp(logits).sum()) - logits[j])
    assert float(np.mean(naive)) > got + 0.1


def test_fine_tuning_learns_the_training_ranking_and_leaves_the_original(
        tiny: TransformerEncoder):
    before = tiny.encode(["good film", "great movie"])
    margin0 = _margin(tiny, EXAMPLES)
    tuned = fine_tune_retriever(tiny, EXAMPLES, epochs=30, batch_size=2, lr=1e-3, warmup=0.1,
                                seed=0)
    assert len(tuned.history_) == 30
    assert tuned.history_[-1] < tuned.history_[0]
    assert _margin(tuned, EXAMPLES) > margin0 + 0.05
    assert _margin(tuned, EXAMPLES) > 0  # every positive above every negative, on average
    np.testing.assert_array_equal(tiny.encode(["good film", "great movie"]), before)
    assert "fine_tuned" not in tiny.identity()
    assert tuned.identity()["fine_tuned"] == tuned.fine_tuned["weights_sha256"]
    assert tuned.fine_tuned["examples"] == len(EXAMPLES)


def test_seeded(tiny: TransformerEncoder):
    a = fine_tune_retriever(tiny, EXAMPLES, epochs=1, batch_size=2, lr=1e-3, seed=3)
    b = fine_tune_retriever(tiny, EXAMPLES, epochs=1, batch_size=2, lr=1e-3, seed=3)
    np.testing.assert_allclose(a.encode(["odd plot"]), b.encode(["odd plot"]), atol=1e-6)


def test_save_and_load_a_fine_tuned_checkpoint(tiny: TransformerEncoder, tmp_path: Path):
    tuned = fine_tune_retriever(tiny, EXAMPLES, epochs=2, batch_size=2, lr=1e-3)
    folder = tuned.save(tmp_path / "tuned")
    again = TransformerEncoder(folder, pooling="mean", normalize=True, workers=1)
    texts = ["good film", "a very strange plot !"]
    np.testing.assert_allclose(again.encode(texts), tuned.encode(texts), atol=1e-6)
    assert again.identity() == tuned.identity()  # an index built with one takes the other
    with pytest.raises(ConfigError, match="already exists"):
        tuned.save(folder)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers


@pytest.mark.parametrize(("examples", "kwargs", "match"), [
    ([], {}, "no examples"),
    ([RetrievalExample("q", [], ["n"])], {}, "no positive"),
    ([("q", ["p"])], {}, "RetrievalExample"),
    ([RetrievalExample("q", [3], [])], {}, "strings"),
    (EXAMPLES, {"batch_size": 1}, "batch_size"),
    (EXAMPLES, {"epochs": 0}, "epochs"),
    (EXAMPLES, {"lr": float("nan")}, "lr"),
    (EXAMPLES, {"warmup": 1.0}, "warmup"),
])
def test_bad_input(tiny: TransformerEncoder, examples, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        fine_tune_retriever(tiny, examples, **kwargs)


def test_only_a_transformer_encoder():
    with pytest.raises(ConfigError, match="TransformerEncoder"):
        fine_tune_retriever(object(), EXAMPLES)


def test_retrieval_examples_from_questions():
    qs = [QAQuestion("Q1", "who?", ["A", "B", "C"], [0, 1, 0], ["T", "T", "T"]),
          QAQuestion("Q2", "what?", ["D", "E"], [0, 0], ["U", "U"])]
    ex = retrieval_examples(qs, context="title")
    assert ex == [RetrievalExample("who?", ["T. B"], ["T. A", "T. C"])]
    assert retrieval_examples(qs)[0].positives == ["B"]
    with pytest.raises(ConfigError, match="context"):
        retrieval_examples(qs, context="page")
