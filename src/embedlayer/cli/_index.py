"""`embedlayer index build | search | info`: vector indexes over texts or word vectors.

Thin: ``build`` reads the texts (one a line, or ``id<TAB>text``) and encodes them with the
``--encoder`` (options shared with ``embedlayer encode``), or reads a vectors file whose words
are the rows, then fills a ``tasks.index.VectorIndex`` and saves it; the encoder's options go
into the index folder so ``search`` rebuilds the same encoder (and the index checks its
identity). ``search`` prints JSON lines, one a hit.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

_KINDS = ("exact", "hnsw", "ivf")
_METRICS = ("cosine", "ip", "l2")
# the encoder options recorded in the index folder (the recipe search rebuilds it from)
_RECIPE = ("pooling", "normalize", "max_length", "stride", "precision", "tokenizer", "method")


def register(sub: argparse._SubParsersAction) -> None:
    from embedlayer.cli._encoders import add_encoder_options

    parser = sub.add_parser("index", help="build and search vector indexes (exact or "
                                          "approximate) over texts or word vectors")
    cmds = parser.add_subparsers(dest="index_command", metavar="SUBCOMMAND", required=True)

    build = cmds.add_parser(
        "build", help="encode texts (or take a vectors file's rows) into a saved index",
        description="With --encoder, SOURCE is a text file, one text a line (or id<TAB>text "
                    "with --tsv; ids default to line numbers from 1), encoded by a transformer "
                    "checkpoint or static vectors. Without it, SOURCE is a vectors file or "
                    "folder and each word is a row. The index folder holds the library's "
                    "index file, the ids, the texts and index.json (checksums, the encoder's "
                    "identity and options); it is written atomically.")
    build.add_argument("source", type=Path, metavar="SOURCE",
                       help="text file (with --encoder) or vectors file/folder")
    build.add_argument("-o", "--output", type=Path, required=True, metavar="INDEX",
                       help="index folder to write (required)")
    build.add_argument("--encoder", default=None, metavar="MODEL",
                       help="checkpoint folder or name (minilm), or a vectors file/folder "
                            "averaged over each text's words (default: none; SOURCE is vectors)")
    build.add_argument("--tsv", action="store_true",
                       help="SOURCE lines are id<TAB>text; the ids are kept as strings "
                            "(default: ids are line numbers)")
    build.add_argument("--kind", choices=_KINDS, default="exact",
                       help="exact (BLAS + top-k), hnsw (hnswlib graph) or ivf (faiss inverted "
                            "lists) (default: %(default)s)")
    build.add_argument("--metric", choices=_METRICS, default="cosine",
                       help="cosine, inner product or L2 distance (default: %(default)s)")
    build.add_argument("--m", type=int, default=16,
                       help="hnsw: links per node (default: %(default)s)")
    build.add_argument("--ef-construction", type=int, default=200,
                       help="hnsw: candidate list while building (default: %(default)s)")
    build.add_argument("--ef-search", type=int, default=64,
                       help="hnsw: candidate list while searching (default: %(default)s)")
    build.add_argument("--nlist", type=int, default=None,
                       help="ivf: inverted lists (default: 4 sqrt(rows), at most rows / 39)")
    build.add_argument("--nprobe", type=int, default=16,
                       help="ivf: lists visited per query (default: %(default)s)")
    build.add_argument("--pq-m", type=int, default=None,
                       help="ivf: store each row as this many product-quantized bytes (must "
                            "divide the dimension) (default: off, full float32 rows)")
    build.add_argument("--encoding", default="utf-8", metavar="CODEC",
                       help="encoding of SOURCE (default: %(default)s)")
    add_encoder_options(build, methods=("mean",))
    build.add_argument("--force", action="store_true",
                       help="replace an existing index folder (default: refuse)")
    build.add_argument("--quiet", action="store_true",
                       help="no progress bars or summary (default: show them)")
    build.set_defaults(func=_build)

    search = cmds.add_parser(
        "search", help="nearest rows of each query, as JSON lines",
        description="Encode each QUERY with the index's encoder (rebuilt from the options "
                    "saved in the index, or --encoder) and print one JSON object a hit: "
                    "query, rank, id, score (and text). An index of word vectors takes words "
                    "(several are averaged; the query words are left out of the answer). "
                    "Without QUERY, queries are read from standard input, one a line.")
    search.add_argument("index", type=Path, metavar="INDEX", help="index folder")
    search.add_argument("queries", nargs="*", metavar="QUERY",
                        help="query texts (default: one a line from standard input)")
    search.add_argument("-k", type=int, default=10, help="hits per query (default: %(default)s)")
    search.add_argument("--encoder", default=None, metavar="MODEL",
                        help="the model to encode queries with (default: the one the index "
                             "was built with); it must be the same encoder")
    search.add_argument("--ef-search", type=int, default=None,
                        help="hnsw: candidate list (default: the index's)")
    search.add_argument("--nprobe", type=int, default=None,
                        help="ivf: lists visited (default: the index's)")
    search.add_argument("--workers", type=int, default=None,
                        help="threads (default: every core)")
    search.set_defaults(func=_search)

    info = cmds.add_parser("info", help="print an index folder's metadata (JSON)")
    info.add_argument("index", type=Path, metavar="INDEX", help="index folder")
    info.set_defaults(func=_info)


def _read_source(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from embedlayer.cli._encode import _read_lines
    from embedlayer.errors import FormatError, MissingFileError

    if not args.source.is_file():
        raise MissingFileError(f"SOURCE {args.source}: no such text file")
    with open(args.source, "rb") as fh:
        lines = _read_lines(fh, str(args.source), args.encoding, "strict")
    if not args.tsv:
        return list(range(1, len(lines) + 1)), lines
    ids, texts = [], []
    for number, line in enumerate(lines, start=1):
        key, tab, text = line.partition("\t")
        if not tab or not key:
            raise FormatError(f"{args.source}: line {number}: expected id<TAB>text (--tsv)")
        ids.append(key)
        texts.append(text)
    return ids, texts


def _params(args: argparse.Namespace) -> dict[str, Any]:
    if args.kind == "hnsw":
        return {"m": args.m, "ef_construction": args.ef_construction,
                "ef_search": args.ef_search}
    if args.kind == "ivf":
        return {"nlist": args.nlist, "nprobe": args.nprobe, "pq_m": args.pq_m}
    return {}


def _build(args: argparse.Namespace) -> int:
    from embedlayer._atomic import check_replaceable
    from embedlayer.cli._encoders import check_encoder_numbers, encoder_from_args
    from embedlayer.cli._outputs import check_not_input
    from embedlayer.errors import ConfigError, MissingFileError
    from embedlayer.tasks.index import _ALLOWED, VectorIndex

    check_encoder_numbers(args)
    check_not_input("-o/--output", args.output, [args.source])
    check_replaceable(args.output, "embedlayer index build", _ALLOWED)
    if args.output.exists() and not args.force:
        raise ConfigError(f"-o/--output {args.output}: already exists; pass --force to "
                          f"replace it")
    t0 = time.perf_counter()
    if args.encoder is None:
        from embedlayer.cli._vectors import load_compressed_folder
        from embedlayer.vectors.io import load_vectors

        if args.tsv:
            raise ConfigError("--tsv is for text SOURCEs (give --encoder)")
        if not args.source.exists():
            raise MissingFileError(f"SOURCE {args.source}: no such vectors file or folder")
        store = load_compressed_folder(args.source) or load_vectors(args.source)
        index = VectorIndex(store.dim, metric=args.metric, kind=args.kind,
                            workers=args.workers or 0, **_params(args))
        index.info = {"source": "vectors", "vectors": str(args.source.resolve())}
        index.add(list(store.vocab.tokens), store.matrix, progress=not args.quiet)
        what = f"{len(index):,} words"
    else:
        ids, texts = _read_source(args)
        if not texts:
            raise ConfigError(f"SOURCE {args.source}: no texts")
        encoder = encoder_from_args(args.encoder, args, texts, label="--encoder")
        vectors = encoder.encode(texts, progress=not args.quiet)
        index = VectorIndex(encoder.dim, metric=args.metric, kind=args.kind,
                            encoder=encoder.identity(), workers=args.workers or 0,
                            **_params(args))
        model = Path(args.encoder)
        index.info = {"source": "texts", "encoder_model": str(model.resolve())
                      if model.exists() else args.encoder,
                      "encoder_options": {k: getattr(args, k) for k in _RECIPE}}
        index.add(ids, vectors, texts, progress=not args.quiet)
        what = f"{len(index):,} texts"
    index.save(args.output)
    if not args.quiet:
        print(f"indexed {what} ({index.kind}, {index.metric}, dim {index.dim}) in "
              f"{time.perf_counter() - t0:.1f} s -> {args.output}", file=sys.stderr)
    return 0


def _queries(args: argparse.Namespace) -> list[str]:
    from embedlayer.cli._encode import _read_lines

    if args.queries:
        return list(args.queries)
    return [q for q in _read_lines(sys.stdin.buffer, "standard input", "utf-8", "strict")
            if q.strip()]


def _search(args: argparse.Namespace) -> int:
    from embedlayer.errors import ConfigError
    from embedlayer.tasks.index import VectorIndex

    if args.k < 1:
        raise ConfigError(f"-k must be >= 1, got {args.k}")
    for flag, value in (("--ef-search", args.ef_search), ("--nprobe", args.nprobe),
                        ("--workers", args.workers)):
        if value is not None and value < 1:
            raise ConfigError(f"{flag} must be >= 1, got {value}")
    index = VectorIndex.load(args.index, workers=args.workers or 0)
    for name in ("ef_search", "nprobe"):
        if getattr(args, name) is not None:
            if name not in index.params:
                raise ConfigError(f"--{name.replace('_', '-')} is for "
                                  f"{'hnsw' if name == 'ef_search' else 'ivf'} indexes; this "
                                  f"one is {index.kind}")
            index.params[name] = getattr(args, name)
    queries = _queries(args)
    if not queries:
        raise ConfigError("no query given (as arguments or on standard input)")
    if index.info.get("source") == "vectors" and args.encoder is None:
        _search_words(index, queries, args.k)
        return 0
    encoder = _query_encoder(index, args)
    index.check_encoder(encoder)
    result = index.search(encoder.encode(queries), args.k)
    for q, query in enumerate(queries):
        for rank, (key, score) in enumerate(result.pairs(q), start=1):
            hit = {"query": query, "rank": rank, "id": key, "score": round(score, 6)}
            if result.texts is not None:
                hit["text"] = result.texts[q][rank - 1]
            print(json.dumps(hit, ensure_ascii=False))
    sys.stdout.flush()
    return 0


def _search_words(index: Any, queries: list[str], k: int) -> None:
    from embedlayer.cli._vectors import load_compressed_folder
    from embedlayer.errors import MissingFileError
    from embedlayer.vectors.io import load_vectors
    from embedlayer.vectors.query import most_similar

    path = Path(index.info["vectors"])
    if not path.exists():
        raise MissingFileError(f"{path}: the vectors this index was built from are gone; the "
                               f"query words' vectors come from it")
    store = load_compressed_folder(path) or load_vectors(path)
    for query in queries:
        pairs = most_similar(store, query.split(), topn=min(k, len(index) - 1), index=index)
        for rank, (word, score) in enumerate(pairs, start=1):
            print(json.dumps({"query": query, "rank": rank, "id": word,
                              "score": round(score, 6)}, ensure_ascii=False))
    sys.stdout.flush()


def _query_encoder(index: Any, args: argparse.Namespace) -> Any:
    from embedlayer.cli._encoders import build_encoder
    from embedlayer.errors import ConfigError

    options = dict(index.info.get("encoder_options") or {})
    model = args.encoder or index.info.get("encoder_model")
    if model is None:
        raise ConfigError(f"{args.index} records no encoder (built from Python?): give "
                          f"--encoder MODEL")
    return build_encoder(model, fit_texts=[], label="--encoder",
                         method=options.get("method") or "mean",
                         tokenizer=options.get("tokenizer") or "regex",
                         pooling=options.get("pooling"), normalize=options.get("normalize"),
                         max_length=options.get("max_length"), stride=options.get("stride"),
                         precision=options.get("precision") or "fp32", workers=args.workers)


def _info(args: argparse.Namespace) -> int:
    from embedlayer.tasks.index import VectorIndex

    print(json.dumps(VectorIndex.describe(args.index), indent=1, sort_keys=True))
    return 0
