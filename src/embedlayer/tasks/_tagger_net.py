"""The sequence tagger's network and its batches: words, characters, case -> BiLSTM -> CRF.

What it holds: how one sentence becomes arrays (:func:`encode_sentence`: word ids of the
normalized tokens, a case class per token, the characters of each token, optional contextual
vectors and tag ids), padding a list of them into a :class:`TagBatch`, and ``TaggerNet``:
word vectors (an ``EmbeddingLayer``) concatenated with a character encoding of each word
(``nn.chars``), a small embedding of its case class and, when given, fixed contextual vectors,
then dropout, a bidirectional LSTM, dropout, a linear layer to per-tag scores, and either a
linear-chain CRF (``nn.crf``) or a per-token softmax over them (Lample et al. 2016; Ma & Hovy
2016). What it leaves out: vocabularies, tag sets, training and saving (``tasks/tag.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from embedlayer._types import IntArray
from embedlayer.nn.chars import char_encoder
from embedlayer.nn.crf import CRF
from embedlayer.vocab import Vocab

__all__ = ["CASES", "Encoded", "TagBatch", "TaggerNet", "case_class", "collate",
           "encode_sentence", "normalizer"]

# Case classes of a token (id 0 is padding). The word vectors are looked up lower-cased; this
# gives back what lower-casing took away, and says "number" for every number.
CASES = ("<pad>", "numeric", "mainly_numeric", "lower", "upper", "title", "has_digit",
         "mixed", "other")
_DIGITS = re.compile(r"\d")


def case_class(token: str) -> int:
    """The id in ``CASES`` of a token's shape: all digits, mostly digits, lower, UPPER, Title,
    with a digit, mIxed, other (no letter, no digit)."""
    digits = sum(c.isdigit() for c in token)
    if token.isdigit():
        return 1
    if digits > len(token) / 2:
        return 2
    if token.islower():
        return 3
    if token.isupper():
        return 4
    if token[:1].isupper():
        return 5
    if digits:
        return 6
    if any(c.isalpha() for c in token):
        return 7
    return 8


def normalizer(lowercase: bool, zeros: bool) -> Callable[[str], str]:
    """The form a token is looked up in the word vocabulary: lower-cased, every digit 0."""
    def key(token: str) -> str:
        if lowercase:
            token = token.lower()
        return _DIGITS.sub("0", token) if zeros else token
    return key


def _char_ids(token: str, chars: Vocab, limit: int) -> list[int]:
    """The character ids of a token; a token longer than ``limit`` keeps its first and last
    ``limit // 2`` characters (prefix and suffix carry the shape)."""
    if len(token) > limit:
        token = token[:limit // 2] + token[len(token) - (limit - limit // 2):]
    unk = chars.unk_id
    return [chars.get(c, unk) for c in token]  # type: ignore[misc]


@dataclass
class Encoded:
    """One sentence as arrays: (n,) word ids, (n,) case ids, (n, L) character ids (0-padded),
    (n, d) contextual vectors or None, (n,) tag ids or None."""

    words: IntArray
    cases: IntArray
    chars: IntArray
    context: np.ndarray | None = None
    tags: IntArray | None = None

    def __len__(self) -> int:
        return len(self.words)


def encode_sentence(tokens: Sequence[str], *, words: Vocab, chars: Vocab,
                    key: Callable[[str], str], max_chars: int) -> Encoded:
    """The arrays of one non-empty sentence (tags and context are filled in by the caller)."""
    unk = words.unk_id
    ids = np.array([words.get(key(t), unk) for t in tokens], dtype=np.int64)
    cases = np.array([case_class(t) for t in tokens], dtype=np.int64)
    per_token = [_char_ids(t, chars, max_chars) for t in tokens]
    width = max(len(c) for c in per_token)
    char_ids = np.zeros((len(tokens), width), dtype=np.int64)
    for i, c in enumerate(per_token):
        char_ids[i, :len(c)] = c
    return Encoded(ids, cases, char_ids)


@dataclass
class TagBatch:
    """B sentences padded to the longest, T tokens, L characters."""

    words: torch.Tensor  # (B, T) int64, 0-padded (<pad> is id 0 of the word vocabulary)
    cases: torch.Tensor  # (B, T) int64
    chars: torch.Tensor  # (B, T, L) int64
    mask: torch.Tensor  # (B, T) bool, True at real tokens
    context: torch.Tensor | None  # (B, T, d) float32
    tags: torch.Tensor | None  # (B, T) int64, 0 on padded steps (masked out)


def collate(items: Sequence[Encoded], device: torch.device, *,
            replace: tuple[np.ndarray, int, float, np.random.Generator] | None = None
            ) -> TagBatch:
    """Pad ``items`` into one batch. ``replace = (singleton, unk_id, p, rng)``: training-time
    word dropout to ``<unk>``: each token whose word is marked in ``singleton`` (a bool array
    over the vocabulary) becomes ``<unk>`` with probability ``p`` (Lample et al. 2016), so
    that the ``<unk>`` row learns what an unseen word looks like."""
    b = len(items)
    t = max(len(e) for e in items)
    width = max(e.chars.shape[1] for e in items)
    words = np.zeros((b, t), dtype=np.int64)
    cases = np.zeros((b, t), dtype=np.int64)
    chars = np.zeros((b, t, width), dtype=np.int64)
    tags = np.zeros((b, t), dtype=np.int64)
    mask = np.zeros((b, t), dtype=bool)
    context = None
    if items[0].context is not None:
        context = np.zeros((b, t, items[0].context.shape[1]), dtype=np.float32)
    for row, e in enumerate(items):
        n = len(e)
        words[row, :n] = e.words
        cases[row, :n] = e.cases
        chars[row, :n, :e.chars.shape[1]] = e.chars
        mask[row, :n] = True
        if e.tags is not None:
            tags[row, :n] = e.tags
        if context is not None and e.context is not None:
            context[row, :n] = e.context
    if replace is not None:
        singleton, unk_id, p, rng = replace
        drop = singleton[words] & (rng.random(words.shape) < p) & mask
        words[drop] = unk_id

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a).to(device)

    return TagBatch(tensor(words), tensor(cases), tensor(chars), tensor(mask),
                    None if context is None else tensor(context),
                    tensor(tags) if items[0].tags is not None else None)


class TaggerNet(nn.Module):
    """TagBatch -> (B, T, K) tag scores -> a CRF (or softmax) loss per sentence, or tag ids."""

    def __init__(
        self, embedding: nn.Module, *, n_tags: int, n_chars: int, char_kind: str,
        char_dim: int, char_hidden: int, case_dim: int, context_dim: int, hidden: int,
        layers: int, dropout: float, head: str, constraints: tuple | None = None,
    ) -> None:
        super().__init__()
        self.embedding = embedding  # the name make_optimizers looks for
        self.chars = None if char_kind == "none" else char_encoder(
            char_kind, n_chars, dim=char_dim, hidden=char_hidden)
        self.case = nn.Embedding(len(CASES), case_dim, padding_idx=0) if case_dim else None
        width = embedding.dim + context_dim + case_dim + (
            self.chars.out_dim if self.chars is not None else 0)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(width, hidden, num_layers=layers, batch_first=True,
                            bidirectional=True, dropout=dropout if layers > 1 else 0.0)
        self.out = nn.Linear(2 * hidden, n_tags)
        self.crf: CRF | None = None
        if head == "crf":
            allowed, start, end = constraints if constraints is not None else (None,) * 3
            self.crf = CRF(n_tags, allowed=allowed, allowed_start=start, allowed_end=end)

    def forward(self, batch: TagBatch) -> torch.Tensor:
        """``emissions`` (the module's forward, so that a DDP wrapper can call it)."""
        return self.emissions(batch)

    def emissions(self, batch: TagBatch) -> torch.Tensor:
        """(B, T, K) per-token tag scores; padded steps hold zeros."""
        mask = batch.mask
        parts = [self.embedding(batch.words)]  # (B, T, D)
        if self.chars is not None:
            real = self.chars(batch.chars[mask])  # (N, H): the real tokens only
            full = real.new_zeros((*mask.shape, real.shape[1]))
            full[mask] = real
            parts.append(full)
        if self.case is not None:
            parts.append(self.case(batch.cases))
        if batch.context is not None:
            parts.append(batch.context)
        x = self.dropout(torch.cat(parts, dim=-1))
        lengths = mask.sum(dim=1).to("cpu", torch.int64)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=mask.shape[1])
        return self.out(self.dropout(out))  # (B, T, K)

    def loss(self, scores: torch.Tensor, batch: TagBatch) -> torch.Tensor:
        """(B,) each sentence's loss: the CRF's negative log-likelihood, or the sum of the
        tokens' cross-entropies."""
        assert batch.tags is not None
        if self.crf is not None:
            return self.crf.neg_log_likelihood(scores, batch.tags, batch.mask)
        per_token = F.cross_entropy(scores.transpose(1, 2), batch.tags, reduction="none")
        return (per_token * batch.mask).sum(dim=1)

    @torch.no_grad()
    def decode(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T) tag ids (Viterbi under the CRF, else each token's argmax); -1 on padding."""
        if self.crf is not None:
            return self.crf.decode(scores, mask)
        return scores.argmax(dim=-1).masked_fill(~mask, -1)
