"""Fine-tuning a transformer encoder for retrieval: queries pulled towards their relevant
texts and away from the rest (a bi-encoder, so its vectors still go into a ``VectorIndex``).

What it holds: :class:`RetrievalExample` (a query, its relevant texts, and hard negatives: texts
that look relevant but are not) and :func:`fine_tune_retriever`, which returns a fine-tuned copy
of a :class:`~embedlayer.contextual.TransformerEncoder` and leaves the original as it was.
What it leaves out: scoring and evaluation (``tasks.qa``, ``eval.qa``), building the examples
from a data set (``tasks.qa.retrieval_examples``), and cross-encoders (a pair classifier:
``tasks.classify`` with the transformer encoder).

The loss is sentence-transformers' ``MultipleNegativesRankingLoss`` with hard negatives (van
den Oord et al.'s InfoNCE): for each (query, relevant text) pair of a batch, a softmax over
``scale`` x the cosine between the query and every text of the batch — its own hard negatives,
the other queries' relevant texts and hard negatives — with the pair's text as the target. The
query's other relevant texts are left out of its softmax rather than counted as negatives.
Each example is met once per epoch, in a seeded random order. Texts are cut to the encoder's ``max_length`` (one window;
the encoder's pooling; no normalization inside, since the cosine normalizes). AdamW with
weight decay 0.01, warmup then linear decay (BERT's schedule), gradients clipped to norm 1,
dropout on: sentence-transformers' defaults.

The fine-tuned copy's ``identity()`` carries ``fine_tuned`` (a digest of its weights), so an
index built with it refuses queries from the original, and ``save(folder)`` writes it as a
checkpoint folder that ``TransformerEncoder(folder)`` loads.
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer.errors import ConfigError

__all__ = ["RetrievalExample", "fine_tune_retriever"]


@dataclass(frozen=True)
class RetrievalExample:
    """One query, the texts that answer it (at least one) and hard negatives (may be empty)."""

    query: str
    positives: Sequence[str]
    negatives: Sequence[str] = field(default_factory=tuple)


def _check(examples: Any, *, epochs: Any, batch_size: Any, lr: Any, warmup: Any,
           scale: Any) -> list[RetrievalExample]:
    where = "fine_tune_retriever"

    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    if not is_int(epochs) or epochs < 1:
        raise ConfigError(f"{where}: epochs must be an int >= 1, got {epochs!r}")
    if not is_int(batch_size) or batch_size < 2:
        raise ConfigError(f"{where}: batch_size must be an int >= 2 (the other queries' texts "
                          f"are the in-batch negatives), got {batch_size!r}")
    for name, value in (("lr", lr), ("scale", scale)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 \
                or not math.isfinite(value):
            raise ConfigError(f"{where}: {name} must be a number > 0, got {value!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, int | float) or not 0 <= warmup < 1:
        raise ConfigError(f"{where}: warmup must be a share of the steps in [0, 1), "
                          f"got {warmup!r}")
    examples = list(examples)
    if not examples:
        raise ConfigError(f"{where}: no examples to train on")
    for i, ex in enumerate(examples):
        if not isinstance(ex, RetrievalExample):
            raise ConfigError(f"{where}: example {i} is a {type(ex).__name__}, expected a "
                              f"RetrievalExample")
        texts = [ex.query, *ex.positives, *ex.negatives]
        if not all(isinstance(t, str) for t in texts):
            raise ConfigError(f"{where}: example {i}: the query, positives and negatives must "
                              f"all be strings")
        if not ex.positives:
            raise ConfigError(f"{where}: example {i} ({ex.query[:60]!r}) has no positive text")
    return examples


def _weights_digest(model: Any) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode("utf-8"))
        digest.update(tensor.detach().to("cpu").contiguous().numpy().tobytes())
    return digest.hexdigest()


def fine_tune_retriever(
    encoder: Any, examples: Sequence[RetrievalExample], *, epochs: int = 1,
    batch_size: int = 16, lr: float = 2e-5, warmup: float = 0.1, scale: float = 20.0,
    seed: int = 0, workers: int | None = None, progress: bool = False,
) -> Any:
    """A copy of ``encoder`` (a fp32 ``TransformerEncoder``) fine-tuned on ``examples``.

    ``batch_size``: queries per step (each brings its relevant texts and hard negatives).
    ``scale``: the inverse temperature of the softmax over cosines (sentence-transformers'
    20). ``warmup``: the share of steps over which the learning rate rises. Seeded: the same
    call gives the same weights on one machine. ``history_`` on the result: the mean loss of
    each epoch.
    """
    import torch

    from embedlayer.contextual.encoder import TransformerEncoder
    from embedlayer.nn._threads import torch_threads
    from embedlayer.tasks._training import linear_schedule

    if not isinstance(encoder, TransformerEncoder):
        raise ConfigError(f"fine_tune_retriever: encoder must be a TransformerEncoder, got "
                          f"{type(encoder).__name__}")
    if encoder.precision != "fp32":
        raise ConfigError(f"fine_tune_retriever: the encoder runs in {encoder.precision}; "
                          f"fine-tune the fp32 encoder (quantize afterwards)")
    examples = _check(examples, epochs=epochs, batch_size=batch_size, lr=lr, warmup=warmup,
                      scale=scale)
    tuned = copy.copy(encoder)
    tuned._model = copy.deepcopy(encoder._model)
    tuned._tokenizer = copy.deepcopy(encoder._tokenizer)
    tuned._tokenizer.enable_truncation(encoder.max_length)  # training: the first window only
    model = tuned._model
    pad = tuned._pad_id()

    # Each text tokenized once.
    texts = list(dict.fromkeys(t for ex in examples
                               for t in (ex.query, *ex.positives, *ex.negatives)))
    row = {t: i for i, t in enumerate(texts)}
    encodings = tuned._tokenizer.encode_batch(texts)
    rng = np.random.default_rng(seed)
    steps_per_epoch = math.ceil(len(examples) / batch_size)
    total = steps_per_epoch * epochs
    decay = [p for n, p in model.named_parameters() if not n.endswith(("bias", "LayerNorm.weight"))]
    rest = [p for n, p in model.named_parameters() if n.endswith(("bias", "LayerNorm.weight"))]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                   {"params": rest, "weight_decay": 0.0}], lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(total, warmup))
    history: list[float] = []
    bar = progress_bar(total=total, desc="fine-tune", unit="step", enabled=progress)
    with torch_threads(encoder.workers), bar:
        torch.manual_seed(seed)
        model.train()
        try:
            for _ in range(epochs):
                order = rng.permutation(len(examples))
                losses = []
                for start in range(0, len(order), batch_size):
                    batch = [examples[i] for i in order[start:start + batch_size]]
                    loss = _batch_loss(tuned, model, batch, row, encodings, pad, scale)
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                    optimizer.step()
                    scheduler.step()
                    losses.append(float(loss.detach()))
                    bar.update(1)
                    bar.set_postfix(loss=f"{losses[-1]:.3f}")
                history.append(float(np.mean(losses)))
        finally:
            model.eval()
            for p in model.parameters():
                p.requires_grad_(False)
    tuned._tokenizer.enable_truncation(encoder.max_length, stride=encoder.stride)
    tuned.fine_tuned = {
        "by": "fine_tune_retriever", "from": encoder.checkpoint.name,
        "from_fine_tuned": (encoder.fine_tuned or {}).get("weights_sha256"),
        "examples": len(examples), "epochs": epochs, "batch_size": batch_size, "lr": lr,
        "warmup": warmup, "scale": scale, "seed": seed, "loss_per_epoch": history,
        "weights_sha256": _weights_digest(model),
    }
    tuned.history_ = history
    return tuned


def _batch_loss(tuned: Any, model: Any, batch: list[RetrievalExample], row: dict[str, int],
                encodings: list[Any], pad: int, scale: float) -> Any:
    """The in-batch softmax loss of one batch of queries (see the module's docstring)."""
    import torch
    import torch.nn.functional as F  # noqa: N812 - the usual name

    docs: list[str] = []
    owner: list[int] = []  # which query of the batch a document is relevant to (-1: none)
    for q, ex in enumerate(batch):
        docs += list(ex.positives)
        owner += [q] * len(ex.positives)
        docs += list(ex.negatives)
        owner += [-1] * len(ex.negatives)
    queries = [ex.query for ex in batch]
    inputs = tuned._inputs([encodings[row[t]] for t in queries + docs], pad)
    hidden = tuned._hidden(model, inputs)
    vectors = F.normalize(tuned._pool(hidden, inputs["attention_mask"]).float(), dim=1)
    q_vec, d_vec = vectors[:len(queries)], vectors[len(queries):]
    logits = scale * q_vec @ d_vec.T  # (queries, documents)
    owner_t = torch.tensor(owner)
    targets = torch.nonzero(owner_t >= 0).squeeze(1)  # one loss term per relevant document
    which = owner_t[targets]
    rows = logits[which]  # (pairs, documents)
    # The query's relevant texts (another of its positives, or the same text met again as
    # another query's document) are not its negatives: drop them from its softmax.
    positives: dict[str, set[int]] = {}  # query text -> its relevant texts in this batch
    for ex in batch:
        positives.setdefault(ex.query, set()).update(row[t] for t in ex.positives)
    relevant = torch.tensor([[row[t] in positives[ex.query] for t in docs] for ex in batch])
    others = relevant[which] & (torch.arange(len(docs))[None, :] != targets[:, None])
    rows = rows.masked_fill(others, -torch.inf)
    return F.cross_entropy(rows, targets)
