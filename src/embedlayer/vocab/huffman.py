"""Huffman codes for hierarchical softmax, built as word2vec.c's CreateBinaryTree builds them.

What it holds: one function from counts to the codes and inner-node paths of every word, in
a flat (CSR) layout the kernels can read without Python objects: word ``w``'s bits are
``codes[offsets[w]:offsets[w+1]]`` (root first) and the inner node that decides each bit is
``points[...]`` at the same positions (inner nodes are numbered 0..V-2, the root is V-2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedlayer._types import Int32Array, IntArray
from embedlayer.errors import ConfigError

__all__ = ["HuffmanCodes", "huffman_codes"]


@dataclass(frozen=True)
class HuffmanCodes:
    """Huffman codes of a vocabulary for hierarchical softmax, as flat arrays with offsets."""

    codes: np.ndarray  # uint8, (sum of lengths,) bits root-first, word after word
    points: Int32Array  # int32, same shape: inner node (0..V-2) deciding each bit
    offsets: IntArray  # int64, (V+1,): word w spans offsets[w]:offsets[w+1]

    @property
    def lengths(self) -> IntArray:
        return np.diff(self.offsets)

    def code(self, word: int) -> list[int]:
        a, b = self.offsets[word], self.offsets[word + 1]
        return self.codes[a:b].tolist()

    def path(self, word: int) -> list[int]:
        a, b = self.offsets[word], self.offsets[word + 1]
        return self.points[a:b].tolist()


def huffman_codes(counts: IntArray | list[int]) -> HuffmanCodes:
    """Build the Huffman tree over ``counts`` (shape (V,), any order; ties by id).

    The two-queue merge of word2vec.c: leaves sorted by count descending, new inner nodes
    appended in increasing weight, so each merge is O(1). The deeper child (the second
    minimum) gets bit 1.
    """
    c = np.asarray(counts, dtype=np.int64)
    v = c.size
    if c.ndim != 1 or v == 0:
        raise ConfigError(f"counts must be a non-empty 1-d array, got shape {c.shape}")
    if v == 1:  # a single word needs no decision
        return HuffmanCodes(np.zeros(0, np.uint8), np.zeros(0, np.int32), np.zeros(2, np.int64))
    order = np.argsort(-c, kind="stable")  # leaf position -> word id
    weight = np.empty(2 * v - 1, dtype=np.int64)
    weight[:v] = c[order]
    weight[v:] = np.iinfo(np.int64).max
    parent = np.zeros(2 * v - 1, dtype=np.int64)
    binary = np.zeros(2 * v - 1, dtype=np.uint8)
    pos1, pos2 = v - 1, v  # next smallest leaf (walking left), next smallest inner node
    w = weight.tolist()  # Python ints: this loop is O(V) scalar work
    par = [0] * (2 * v - 1)
    bits = [0] * (2 * v - 1)
    for a in range(v - 1):
        mins = []
        for _ in range(2):
            if pos1 >= 0 and w[pos1] < w[pos2]:
                mins.append(pos1)
                pos1 -= 1
            else:
                mins.append(pos2)
                pos2 += 1
        w[v + a] = w[mins[0]] + w[mins[1]]
        par[mins[0]] = par[mins[1]] = v + a
        bits[mins[1]] = 1
    parent[:] = par
    binary[:] = bits
    root = 2 * v - 2
    depth = np.zeros(2 * v - 1, dtype=np.int64)
    for node in range(root - 1, -1, -1):  # parents always have larger indices
        depth[node] = depth[parent[node]] + 1
    lengths_by_leaf = depth[:v]
    # Lay words out in id order.
    lengths = np.empty(v, dtype=np.int64)
    lengths[order] = lengths_by_leaf
    offsets = np.zeros(v + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.zeros(offsets[-1], dtype=np.uint8)
    points = np.zeros(offsets[-1], dtype=np.int32)
    # Walk all leaves up at once, filling each word's path from its end (leaf side).
    cur = np.arange(v, dtype=np.int64)  # leaf positions
    pos = offsets[order + 1] - 1
    active = cur != root
    while active.any():
        idx = np.nonzero(active)[0]
        node = cur[idx]
        codes[pos[idx]] = binary[node]
        points[pos[idx]] = parent[node] - v
        cur[idx] = parent[node]
        pos[idx] -= 1
        active = cur != root
    return HuffmanCodes(codes, points, offsets)
