"""The one exception tree of embedlayer.

Every error the package raises on purpose derives from :class:`EmbedlayerError`, so a caller
(and the CLI) can catch one type. Messages name the file or object, the bad value and what was
expected. Validation happens at the boundaries (I/O, ``fit``, CLI), never inside kernels.

::

    EmbedlayerError
     ├── ConfigError (ValueError)           a parameter out of range, an unknown mode/name
 │    └── RequestError                  an HTTP request the service cannot answer (serve/)
     ├── MissingFileError (FileNotFoundError) a path that does not exist
     ├── DataError                          the dataset registry
     │    ├── ChecksumError                 a file whose sha256 is not the registered one
     │    └── DownloadError (OSError)       offline, refused, dropped connection, HTTP error
     ├── CorpusError                        an empty or unreadable corpus
     │    └── DecodeError (UnicodeError)    bytes that are not valid in the corpus encoding
     ├── FormatError                        a file whose content is not what its format says
     ├── VocabError                         an empty vocabulary, bad special tokens
     │    └── UnknownTokenError (KeyError)  a token that is not in the vocabulary
     ├── TokenizerError                     a tokenizer that is not trained, a bad pipeline
     └── DistributedError                   a rank of a distributed run lost, a collective
                                            timed out (dist/)
"""

from __future__ import annotations

__all__ = [
    "ChecksumError",
    "ConfigError",
    "CorpusError",
    "DataError",
    "DecodeError",
    "DistributedError",
    "DownloadError",
    "EmbedlayerError",
    "FormatError",
    "MissingFileError",
    "RequestError",
    "TokenizerError",
    "UnknownTokenError",
    "VocabError",
]


class EmbedlayerError(Exception):
    """Base class of every error embedlayer raises on purpose."""


class ConfigError(EmbedlayerError, ValueError):
    """A parameter that is out of range or names an unknown choice."""


class RequestError(ConfigError):
    """A request to the HTTP service (``embedlayer.serve``) that it cannot answer: an unknown
    model name, a route whose kind of model is not loaded, a list over a limit.

    ``status`` is the HTTP status it answers with and ``code`` the short machine-readable
    name of the problem (``"batch_too_large"``); the message says which value, which limit
    and how to change it.
    """

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code


class MissingFileError(EmbedlayerError, FileNotFoundError):
    """A path the caller named does not exist."""


class DataError(EmbedlayerError):
    """A dataset could not be resolved: unknown name, not available offline."""


class ChecksumError(DataError):
    """A file's sha256 differs from the one registered for it."""


class DownloadError(DataError, OSError):
    """A download failed: no network, HTTP error, or a connection that dropped."""


class CorpusError(EmbedlayerError):
    """A corpus that is empty or cannot be read."""


class DecodeError(CorpusError, UnicodeError):
    """Bytes in a corpus file that are not valid in its encoding (policy ``strict``)."""


class FormatError(EmbedlayerError):
    """A file whose content does not follow the format it claims (corrupt, truncated...)."""


class VocabError(EmbedlayerError):
    """A vocabulary problem: empty after ``min_count``, unknown token, bad special tokens."""


class TokenizerError(EmbedlayerError):
    """A tokenizer that cannot run: not trained, unknown component, bad saved pipeline."""


class DistributedError(EmbedlayerError):
    """A distributed run that cannot go on: a rank stopped or a collective timed out."""


class UnknownTokenError(VocabError, KeyError):
    """A token (or id) that is not in the vocabulary."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""
