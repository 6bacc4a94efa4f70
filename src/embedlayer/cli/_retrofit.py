"""`embedlayer retrofit`: retrofit a vector file to a lexicon (PPDB, WordNet or a file).

Thin: checks the output, reads the lexicon (``data.lexicons.load_lexicon``) and the vectors,
calls ``transform.retrofit``, saves the result with ``save_vectors`` (atomic) and prints what
was connected and how long it took.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from embedlayer.cli._vectors import _WRITABLE, add_read_args

    p = sub.add_parser(
        "retrofit", help="retrofit vectors to a lexicon graph (PPDB, WordNet) (Faruqui et al.)",
        description="Pull every word's vector toward its neighbours in a lexicon (Faruqui et "
                    "al. 2015's retrofitting: q_i = (alpha q̂_i + sum_j beta_ij q_j) / (alpha "
                    "+ sum_j beta_ij), beta_ij = 1/degree, Gauss-Seidel order), and save the "
                    "result. The lexicon is 'ppdb' (the registered PPDB-XL graph), 'wordnet' "
                    "(WordNet 3.0 from Debian's wordnet-base, read by NLTK: pip install "
                    "'embedlayer[knowledge]') or a file in Faruqui's format ('word neighbour "
                    "neighbour ...' a line). Lexicon words are lower-cased and match keys "
                    "exactly.")
    p.add_argument("vectors", type=Path, metavar="VECTORS",
                   help="a vector file or folder (format auto-detected)")
    p.add_argument("--lexicon", required=True, metavar="ppdb|wordnet|PATH",
                   help="the lexicon graph: ppdb, wordnet or a lexicon file (required)")
    p.add_argument("--relations", default="synonyms", metavar="REL[,REL...]",
                   help="WordNet links used as edges, from synonyms, hypernyms, hyponyms "
                        "(e.g. synonyms,hypernyms,hyponyms; only with --lexicon wordnet) "
                        "(default: %(default)s)")
    p.add_argument("--multiword", action="store_true",
                   help="keep WordNet's multiword lemmas such as domestic_dog, with their "
                        "underscores (default: drop them)")
    p.add_argument("--antonyms", action="store_true",
                   help="also push WordNet antonyms apart (counter-fitting-style repulsion) "
                        "(default: off)")
    p.add_argument("--antonym-weight", type=float, default=0.5,
                   help="strength of the antonym repulsion, >= 0 (default: %(default)s)")
    p.add_argument("--wordnet-dir", type=Path, default=None, metavar="DIR",
                   help="WordNet's database folder (default: $EMBEDLAYER_WORDNET, else "
                        "/usr/share/wordnet)")
    p.add_argument("--iterations", type=int, default=10,
                   help="update sweeps over the graph (default: %(default)s)")
    p.add_argument("--alpha", type=float, default=1.0,
                   help="weight of each word's original vector (default: %(default)s)")
    p.add_argument("--no-normalize", action="store_true",
                   help="keep the input's vector lengths (default: unit-normalize first, as "
                        "the reference code)")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="OUT",
                   help="where to write the retrofitted vectors (required)")
    p.add_argument("--format", dest="format", default="native", choices=_WRITABLE,
                   help="format to write (default: %(default)s)")
    p.add_argument("--force", action="store_true",
                   help="replace an output that exists (default: refuse)")
    add_read_args(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from embedlayer.cli._vectors import check_output, load
    from embedlayer.data.lexicons import load_lexicon, wordnet_lexicon
    from embedlayer.errors import ConfigError
    from embedlayer.transform.retrofit import lexicon_graph, retrofit
    from embedlayer.vectors.io import save_vectors

    out = check_output(args.output, force=args.force, inputs=[args.vectors])
    if args.iterations < 0:
        raise ConfigError(f"--iterations must be >= 0, got {args.iterations}")
    is_wordnet = str(args.lexicon).strip().lower() == "wordnet"
    if not is_wordnet and (args.antonyms or args.relations != "synonyms" or args.multiword):
        raise ConfigError("--relations, --multiword and --antonyms apply to --lexicon wordnet "
                          f"only, not to {args.lexicon!r}")
    if "antonyms" in args.relations:
        raise ConfigError("--relations: pass --antonyms for WordNet antonyms (they repel, "
                          "they are not neighbours)")
    progress = not args.quiet
    start = time.perf_counter()
    lexicon = load_lexicon(args.lexicon, relations=args.relations, root=args.wordnet_dir,
                           multiword=args.multiword, progress=progress)
    antonyms = (wordnet_lexicon("antonyms", root=args.wordnet_dir, multiword=args.multiword)
                if args.antonyms else None)
    read_s = time.perf_counter() - start
    store = load(args, args.vectors)
    graph = lexicon_graph(lexicon, store.vocab)
    start = time.perf_counter()
    result = retrofit(store, lexicon, iterations=args.iterations, alpha=args.alpha,
                      normalize=not args.no_normalize, antonyms=antonyms,
                      antonym_weight=args.antonym_weight, progress=progress)
    fit_s = time.perf_counter() - start
    print(f"lexicon      {lexicon!r} (read in {read_s:.1f} s)")
    print(f"connected    {graph.connected:,} of {len(store):,} keys, {graph.num_edges:,} edges "
          f"between keys")
    print(f"retrofit     {args.iterations} iterations in {fit_s:.2f} s")
    path = save_vectors(result, out, format=args.format, progress=progress)
    print(f"wrote {path} ({args.format}, {len(result):,} x {result.dim})")
    return 0
