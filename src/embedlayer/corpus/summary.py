"""One pass over a text corpus that reports its size: :func:`summarize`.

Holds the counting behind ``embedlayer corpus stats``. Token counts here are whitespace
splits (``str.split``), a tokenizer-free estimate; real tokenization is ``embedlayer.text``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from embedlayer.corpus.stats import CorpusStats
from embedlayer.corpus.text import DocumentCorpus, TextCorpus

__all__ = ["CorpusSummary", "summarize"]


@dataclass(frozen=True)
class CorpusSummary:
    """What one full pass over a corpus found."""

    stats: CorpusStats  # files, lines, bytes, decode errors... of the pass
    tokens: int  # whitespace-separated tokens in the items yielded
    chars: int  # characters in the items yielded (newlines excluded)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self.stats)
        out.pop("complete")
        out.update(tokens=self.tokens, chars=self.chars)
        return out


def summarize(corpus: TextCorpus | DocumentCorpus) -> CorpusSummary:
    """Read ``corpus`` once and count its items' whitespace tokens and characters."""
    tokens = chars = 0
    for item in corpus:
        tokens += len(item.split())
        chars += len(item)
    return CorpusSummary(stats=corpus.stats, tokens=tokens, chars=chars)
