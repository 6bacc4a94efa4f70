"""Character-level word encoders: the characters of each word (N, L) -> one vector per word (N, H).

What it holds: ``CharCNN`` (character embeddings, one convolution, ReLU, max over the real
characters: Ma & Hovy 2016) and ``CharBiLSTM`` (the final states of a bidirectional LSTM over
the characters: Lample et al. 2016), behind one constructor, :func:`char_encoder`. They give
a tagger a vector for any word, also one the word vectors miss: capitals, suffixes, digits.
Character id 0 is padding (its embedding row is zeros and padded characters are never read);
a word has at least one character. What it leaves out: the character vocabulary and how words
are cut into characters (``tasks.tag``).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from embedlayer.errors import ConfigError

__all__ = ["CHAR_ENCODERS", "CharBiLSTM", "CharCNN", "CharEncoderKind", "char_encoder"]

CharEncoderKind = Literal["cnn", "bilstm"]
CHAR_ENCODERS: tuple[str, ...] = ("cnn", "bilstm")


class CharCNN(nn.Module):
    """(N, L) character ids -> (N, filters): convolution of ``width`` characters, ReLU, max.

    ``width`` is odd; the convolution pads ``width // 2`` characters on each side, so every
    character is the centre of one window, and windows centred on padding are left out of the
    max.
    """

    def __init__(self, n_chars: int, dim: int = 25, filters: int = 50, width: int = 3) -> None:
        super().__init__()
        if isinstance(width, bool) or not isinstance(width, int) or width < 1 or width % 2 == 0:
            raise ConfigError(f"CharCNN: width must be an odd int >= 1, got {width!r}")
        self.embedding = nn.Embedding(n_chars, dim, padding_idx=0)
        self.conv = nn.Conv1d(dim, filters, width, padding=width // 2)
        self.out_dim = filters

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        x = self.embedding(chars).transpose(1, 2)  # (N, dim, L)
        h = torch.relu(self.conv(x))  # (N, filters, L): window j is centred on character j
        real = (chars != 0).unsqueeze(1)  # (N, 1, L)
        # ReLU outputs are >= 0: 0 is a neutral filler for the max
        return h.masked_fill(~real, 0.0).max(dim=2).values


class CharBiLSTM(nn.Module):
    """(N, L) character ids -> (N, 2 * hidden): the last forward and backward LSTM states."""

    def __init__(self, n_chars: int, dim: int = 25, hidden: int = 25) -> None:
        super().__init__()
        self.embedding = nn.Embedding(n_chars, dim, padding_idx=0)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.out_dim = 2 * hidden

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        lengths = (chars != 0).sum(dim=1).clamp(min=1).to("cpu", torch.int64)
        packed = pack_padded_sequence(self.embedding(chars), lengths, batch_first=True,
                                      enforce_sorted=False)
        _, (h, _) = self.lstm(packed)  # (2, N, hidden): forward's last, backward's first
        return torch.cat([h[0], h[1]], dim=1)


def char_encoder(kind: str, n_chars: int, *, dim: int, hidden: int) -> nn.Module:
    """A ``CharCNN`` (``hidden`` filters of width 3) or ``CharBiLSTM`` (``hidden`` units a
    direction); ``.out_dim`` is its output size."""
    if kind == "cnn":
        return CharCNN(n_chars, dim, hidden)
    if kind == "bilstm":
        return CharBiLSTM(n_chars, dim, hidden)
    raise ConfigError(f"unknown character encoder {kind!r}; expected one of "
                      f"{', '.join(CHAR_ENCODERS)}")
