"""Reading and writing word vectors in every common file format, safely.

Formats (``FORMATS``): ``native`` (embedlayer's folder: safetensors matrix, keys, checksummed
manifest; memory-mapped on load), ``word2vec-text``/``word2vec-binary`` (the C tool's),
``glove`` (text without header), ``fasttext-vec`` (fastText's text vectors),
``fasttext-bin`` (whole fastText models, read only), ``projector-tsv`` (TensorBoard's
projector) and ``npy`` (``matrix.npy`` + keys). ``load_vectors`` detects the format from the
content when it is not named (``detect_format``); ``save_vectors`` writes atomically.
Loading never unpickles, and a damaged or hostile file is a ``FormatError`` that names the
file, the place and the problem. One module per format; shared checks in ``_limits.py``.
"""

from embedlayer.vectors.io.api import load_vectors, save_vectors
from embedlayer.vectors.io.detect import detect_format
from embedlayer.vectors.io.formats import FORMATS, UnicodeErrors, VectorFormat, VerifyMode

__all__ = [
    "FORMATS",
    "UnicodeErrors",
    "VectorFormat",
    "VerifyMode",
    "detect_format",
    "load_vectors",
    "save_vectors",
]
