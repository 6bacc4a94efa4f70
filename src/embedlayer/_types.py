"""Type aliases shared across the package (array shapes live in comments at use sites)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

PathLike: TypeAlias = str | os.PathLike[str]
Tokens: TypeAlias = list[str]
Sentences: TypeAlias = Iterable[list[str]]

IntArray: TypeAlias = npt.NDArray[np.int64]
Int32Array: TypeAlias = npt.NDArray[np.int32]
UInt32Array: TypeAlias = npt.NDArray[np.uint32]
FloatArray: TypeAlias = npt.NDArray[np.float32]
Float64Array: TypeAlias = npt.NDArray[np.float64]
