"""Sharded counting: each rank counts its part of the corpus, the counts are merged into one
vocabulary that is the same on every rank.

What it holds: :func:`counter_bytes` / :func:`counter_from_bytes` (a ``TokenCounter`` as
compact JSON, pickle-free, for the wire), :func:`merge_counts` (an all-gather of every
rank's counter, merged in rank order on every rank: exact when no rank pruned, as
``TokenCounter.merge`` is) and :func:`build_shared_vocab` (count this rank's token lists,
merge, build the ``Vocab``, and check that every rank holds the same one).
What it leaves out: which lines a rank reads (``corpus/shard.py``), training (``train.py``).

Memory: each rank counts in bounded memory (``max_types``, as ``TokenCounter``); the merge
holds every rank's counter at once (the sum of the shards' distinct tokens), a few bytes per
type and rank, far below the model for any corpus worth distributing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

from embedlayer.dist.group import Group, agree, exchange
from embedlayer.vocab import TokenCounter, Vocab

__all__ = ["build_shared_vocab", "counter_bytes", "counter_from_bytes", "merge_counts"]


def counter_bytes(counter: TokenCounter) -> bytes:
    """``counter`` (counts and statistics) as UTF-8 JSON."""
    doc = {"tokens": list(counter), "counts": [counter[t] for t in counter],
           "sentences": counter.sentences, "total": counter.tokens,
           "pruned_types": counter.pruned_types, "pruned_tokens": counter.pruned_tokens,
           "min_reduce": counter.min_reduce, "max_types": counter.max_types}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def counter_from_bytes(data: bytes) -> TokenCounter:
    """The counter :func:`counter_bytes` wrote."""
    doc = json.loads(data.decode("utf-8"))
    return TokenCounter.from_state(
        dict(zip(doc["tokens"], doc["counts"], strict=True)), sentences=doc["sentences"],
        tokens=doc["total"], pruned_types=doc["pruned_types"],
        pruned_tokens=doc["pruned_tokens"], min_reduce=doc["min_reduce"],
        max_types=doc["max_types"])


def merge_counts(group: Group, counter: TokenCounter) -> TokenCounter:
    """Every rank's counts merged (rank 0's first, then rank 1's...), the same on every rank."""
    parts = exchange(group, counter_bytes(counter), "merging the token counts")
    merged = TokenCounter(max_types=counter.max_types)
    for data in parts:
        merged.merge(counter_from_bytes(data))
    return merged


def _vocab_digest(vocab: Vocab) -> str:
    digest = hashlib.sha256()
    for token, count in zip(vocab.tokens, vocab.counts.tolist(), strict=True):
        digest.update(f"{token}\t{count}\n".encode())
    return digest.hexdigest()


def build_shared_vocab(
    group: Group, sentences: Iterable[Sequence[str]], *, min_count: int = 1,
    max_vocab: int | None = None, max_types: int | None = None,
) -> tuple[Vocab, TokenCounter, TokenCounter]:
    """Count this rank's ``sentences``, merge every rank's counts and build the vocabulary.

    Returns ``(vocab, merged counter, this rank's counter)``; ``vocab`` is the same on every
    rank (checked: a digest of it is compared across ranks). A rank whose part is empty counts
    nothing and still takes part.
    """
    local = TokenCounter(max_types=max_types).update_many(sentences)
    merged = merge_counts(group, local)
    vocab = merged.to_vocab(min_count=min_count, max_vocab=max_vocab)  # as the trainers do
    digests = exchange(group, _vocab_digest(vocab).encode(), "comparing the vocabularies")
    differ = [r for r, d in enumerate(digests) if d != digests[0]]
    agree(group, f"{group.where()}: the merged vocabulary differs from rank 0's (ranks "
                 f"{differ}): the ranks run different embedlayer versions?" if differ else None,
          "the vocabulary check")
    return vocab, merged, local
