"""The slow numpy reference of the fastText kernels in ``_kernels_ft``, for tests only.

What it holds: :func:`train_chunk_reference`, the same signature and the same result as
``_kernels_ft.train_chunk``, written in fastText's own order (``FastText::skipgram`` /
``FastText::cbow`` calling ``Model::update`` once per prediction): the hidden vector is
recomputed from the subword rows before every (center, context) pair and the pair's gradient
is added to every row right after it. The kernels keep one hidden vector per center instead;
agreement with this file is the test that the shortcut is exact. The random stream, the
negatives and the loss are those of ``_reference_w2v`` (its helpers are reused).

What it leaves out: speed (pure Python per token and per prediction: tiny inputs only).
"""

from __future__ import annotations

import numpy as np

from embedlayer.train._reference_w2v import SplitMix64, _ns

__all__ = ["train_chunk_reference"]


def _hidden(wi: np.ndarray, rows: list[int]) -> np.ndarray:
    h = np.zeros(wi.shape[1], np.float32)
    for r in rows:  # fastText's computeHidden: add row by row, then scale by 1/count
        h += wi[r]
    return h * (np.float32(1.0) / np.float32(len(rows)))


def train_chunk_reference(
    model: int, ids, bounds, wi, wo, sub_offsets, sub_ids, sub_gain, keep, neg_table,
    window: int, negative: int, alpha: float, seed: int,
) -> tuple[float, int, int]:
    """``_kernels_ft.train_chunk``, slowly (same arguments, same in-place updates).

    ``sub_gain`` is not used: recomputing the hidden vector from the rows, as fastText does,
    is what the kernels' per-word gain stands in for.
    """
    rng = SplitMix64(seed)
    alpha = np.float32(alpha)

    def rows(w: int) -> list[int]:
        return [int(x) for x in sub_ids[sub_offsets[w]:sub_offsets[w + 1]]]

    total, terms = 0.0, 0
    for s in range(len(bounds) - 1):
        sentence = ids[bounds[s]:bounds[s + 1]]
        sen = [int(w) for w in sentence if rng.uniform() < float(keep[w])]  # subsampling first
        for p, word in enumerate(sen):
            r = window - rng.below(window)  # the reduced window
            context = [sen[c] for c in range(max(p - r, 0), min(p + r + 1, len(sen))) if c != p]
            if not context:
                continue
            if model == 0:  # skip-gram: the center's subwords predict each context word
                center = rows(word)
                for target in context:
                    h = _hidden(wi, center)
                    neu1e = np.zeros(wi.shape[1], np.float32)
                    total += _ns(target, rng, neg_table, negative, h, wo, neu1e, alpha)
                    terms += 1
                    for x in center:  # the full gradient to every row (no 1/count)
                        wi[x] += neu1e
            else:  # CBOW: every subword row of the context, flattened, predicts the center
                bag = [x for w in context for x in rows(w)]
                h = _hidden(wi, bag)
                neu1e = np.zeros(wi.shape[1], np.float32)
                total += _ns(word, rng, neg_table, negative, h, wo, neu1e, alpha)
                terms += 1
                for x in bag:
                    wi[x] += neu1e
    return total, int(terms), int(bounds[-1] - bounds[0])
