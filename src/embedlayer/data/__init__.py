"""The dataset registry: named public datasets, found locally or downloaded and verified.

::

    from embedlayer import data

    data.list_datasets()                   # every registered Dataset
    data.get("simlex999")                  # one Dataset: files, sha256, format, licence, origin
    data.path("mr")                        # Path of the local copy (downloads if needed)
    data.path("trec", "test.txt")          # one file of a dataset
    data.verify(["brown", "mr"])           # sha256 of the local copies -> VerifyReport
    data.download(url, dest, sha256=...)   # any verified, resumable download

Files are looked up in an explicit ``root``, else ``EMBEDLAYER_DATA`` (one or more folders laid
out like the project's data mirror), else the cache (``EMBEDLAYER_CACHE``, default
``~/.cache/embedlayer``), else downloaded into the cache: from a byte-identical public copy
where one exists, else from the mirror named by ``EMBEDLAYER_MIRROR``.

The benchmark files (word pairs, analogies, the Lee docsim set) are parsed by
``embedlayer.data.readers``; scoring is ``embedlayer.eval``.
"""

from __future__ import annotations

from embedlayer.data._download import download
from embedlayer.data._registry import DataFile, Dataset, DatasetFormat, get, list_datasets
from embedlayer.data._resolve import Location, Presence, locate, path
from embedlayer.data._sources import MIRROR_ENV, mirror_base, source_urls
from embedlayer.data._verify import DatasetCheck, FileCheck, VerifyReport, verify

__all__ = [
    "MIRROR_ENV",
    "DataFile",
    "Dataset",
    "DatasetCheck",
    "DatasetFormat",
    "FileCheck",
    "Location",
    "Presence",
    "VerifyReport",
    "download",
    "get",
    "list_datasets",
    "locate",
    "mirror_base",
    "path",
    "source_urls",
    "verify",
]
