"""The dataset registry: named public datasets, found locally or downloaded and verified.

::

    from embedlayer import data

    data.list_datasets()                   # every registered Dataset
    data.get("simlex999")                  # one Dataset: files, sha256, format, licence, origin
    data.path("mr")                        # Path of the local copy (downloads if needed)
    data.path("trec", "test.txt")          # one file of a dataset
    data.verify(["brown", "mr"])           # sha256 of the local copies -> VerifyReport
    data.download(url, dest, sha256=...)   # any verified, resumable download
    data.system_path("wordnet")            # WordNet 3.0 installed by Debian's wordnet-base
    data.load_lexicon("ppdb")              # a Lexicon graph for retrofitting (or "wordnet")

Files are looked up in an explicit ``root``, else ``EMBEDLAYER_DATA`` (one or more folders laid
out like the project's data mirror), else the cache (``EMBEDLAYER_CACHE``, default
``~/.cache/embedlayer``), else downloaded into the cache: from a byte-identical public copy
where one exists, else from the mirror named by ``EMBEDLAYER_MIRROR``.

System resources (:func:`system_resources`) are data a system package installs rather than
files of the mirror: WordNet 3.0 (Debian's ``wordnet-base``, ``/usr/share/wordnet``, or the
folder ``EMBEDLAYER_WORDNET`` names). They are never downloaded; when one is missing the
error says which package to install.

The benchmark files (word pairs, analogies, the Lee docsim set) are parsed by
``embedlayer.data.readers``; lexicons for retrofitting (PPDB, WordNet) by
``embedlayer.data.lexicons``; scoring is ``embedlayer.eval``.
"""

from __future__ import annotations

from embedlayer.data._download import download
from embedlayer.data._registry import (
    DataFile,
    Dataset,
    DatasetFormat,
    SystemResource,
    get,
    get_system,
    list_datasets,
    system_resources,
)
from embedlayer.data._resolve import Location, Presence, locate, path
from embedlayer.data._sources import MIRROR_ENV, mirror_base, source_urls
from embedlayer.data._system import system_path
from embedlayer.data._verify import DatasetCheck, FileCheck, VerifyReport, verify
from embedlayer.data.lexicons import (
    LEXICON_NAMES,
    Lexicon,
    WordNetRelation,
    load_lexicon,
    open_wordnet,
    read_lexicon,
    wordnet_lexicon,
)

__all__ = [
    "LEXICON_NAMES",
    "MIRROR_ENV",
    "DataFile",
    "Dataset",
    "DatasetCheck",
    "DatasetFormat",
    "FileCheck",
    "Lexicon",
    "Location",
    "Presence",
    "SystemResource",
    "VerifyReport",
    "WordNetRelation",
    "download",
    "get",
    "get_system",
    "list_datasets",
    "load_lexicon",
    "locate",
    "mirror_base",
    "open_wordnet",
    "path",
    "read_lexicon",
    "source_urls",
    "system_path",
    "system_resources",
    "verify",
    "wordnet_lexicon",
]
