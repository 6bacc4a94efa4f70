"""all_but_the_top: against a slow numpy reference, and its defining properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedlayer.errors import ConfigError
from embedlayer.transform import all_but_the_top, default_components
from embedlayer.vectors import Vectors


def _reference(x: np.ndarray, d: int) -> np.ndarray:
    """The paper's algorithm written plainly: PCA by SVD of the centered matrix."""
    centered = x.astype(np.float64) - x.mean(axis=0, dtype=np.float64)
    _, _, vt = np.linalg.svd(centered, full_matrices=False)
    u = vt[:d]  # (d, dim) top principal directions
    return centered - centered @ u.T @ u


def _store(n: int, dim: int, seed: int = 0) -> Vectors:
    rng = np.random.default_rng(seed)
    # a shared offset and a few strong directions, as in real word vectors
    x = rng.standard_normal((n, dim)) + 3.0
    x += rng.standard_normal((n, 3)) @ (rng.standard_normal((3, dim)) * 4.0)
    return Vectors([f"w{i}" for i in range(n)], x.astype(np.float32))


@pytest.mark.parametrize("block_rows", [7, 64, 10_000])
def test_equals_the_slow_reference_whatever_the_block_size(block_rows):
    store = _store(300, 20)
    out = all_but_the_top(store, 3, block_rows=block_rows)
    np.testing.assert_allclose(out.matrix, _reference(store.matrix, 3), atol=2e-5)
    assert out.keys == store.keys and out.matrix.dtype == np.float32


def test_default_is_dim_over_100_at_least_one():
    assert [default_components(d) for d in (16, 100, 300, 384, 768)] == [1, 1, 3, 4, 8]
    store = _store(200, 16)
    np.testing.assert_allclose(all_but_the_top(store).matrix, _reference(store.matrix, 1),
                               atol=2e-5)


@given(n=st.integers(20, 80), dim=st.integers(3, 12), d=st.integers(1, 2),
       seed=st.integers(0, 2**16), scale=st.floats(0.01, 100.0))
def test_the_mean_is_zero_and_the_top_directions_are_gone(n, dim, d, seed, scale):
    rng = np.random.default_rng(seed)
    # two planted directions far stronger than the noise (and than each other), so the top
    # d directions are well defined; plus an offset, which must go too
    planted = rng.standard_normal((n, 2)) * [20.0, 5.0] @ rng.standard_normal((2, dim))
    x = ((planted + rng.standard_normal((n, dim)) * 0.1 + 3.0) * scale).astype(np.float32)
    out = all_but_the_top(Vectors([f"w{i}" for i in range(n)], x), d, block_rows=4).matrix
    tol = 1e-5 * np.abs(x).max() * np.sqrt(n)
    assert np.abs(out.mean(axis=0, dtype=np.float64)).max() < tol
    centered = x.astype(np.float64) - x.mean(axis=0, dtype=np.float64)
    _, _, vt = np.linalg.svd(centered, full_matrices=False)
    assert np.abs(out.astype(np.float64) @ vt[:d].T).max() < tol  # removed directions
    # and nothing else changed: the rest of each centered row is kept
    rest = centered - centered @ vt[:d].T @ vt[:d]
    np.testing.assert_allclose(out, rest, atol=tol)


def test_bad_arguments_are_config_errors():
    store = _store(10, 4)
    for bad in (0, 4, 2.5, True):
        with pytest.raises(ConfigError, match="n_components"):
            all_but_the_top(store, bad)
    with pytest.raises(ConfigError, match="VectorStore"):
        all_but_the_top(np.zeros((3, 3)))
    with pytest.raises(ConfigError, match="at least 2"):
        all_but_the_top(Vectors(["a"], [[1.0, 2.0]]))
