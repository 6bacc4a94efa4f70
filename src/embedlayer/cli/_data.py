"""`embedlayer data`: list, locate (downloading if needed), describe and verify datasets.

Thin: each subcommand parses its arguments, calls one function of :mod:`embedlayer.data` and
prints. Results go to stdout, progress bars to stderr; errors are raised as embedlayer errors
and turned into one stderr line by ``cli/main.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from embedlayer.errors import EmbedlayerError

__all__ = ["register"]

_ENV_HELP = (
    "Datasets are looked up in EMBEDLAYER_DATA (folders laid out like the project's data "
    "mirror, separated by the OS path separator), then in the cache (EMBEDLAYER_CACHE, default "
    "~/.cache/embedlayer); downloads go to the cache, from a byte-identical public copy or from "
    "the mirror named by EMBEDLAYER_MIRROR."
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "data", help="list, locate, download and verify the registered datasets",
        description=f"The dataset registry. {_ENV_HELP}",
    )
    commands = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)

    p = commands.add_parser(
        "list", help="every dataset with its size, format and where it is found",
        description="List every registered dataset: name, files, size, format and where it "
                    f"resolves (data path, cache, or not present). {_ENV_HELP}",
    )
    p.set_defaults(func=_list)

    p = commands.add_parser(
        "path", help="print the local path of a dataset, downloading it if needed",
        description="Print the local path of a dataset (its only file, or its folder) or of "
                    f"one of its files; download it into the cache when needed. {_ENV_HELP}",
    )
    p.add_argument("name", metavar="NAME", help="dataset name (see `embedlayer data list`)")
    p.add_argument("file", metavar="FILE", nargs="?",
                   help="one file of the dataset (its name or path inside the dataset; "
                        "default: the whole dataset)")
    p.add_argument("--no-download", action="store_true",
                   help="fail instead of downloading when no local copy exists "
                        "(default: download)")
    p.add_argument("--root", type=Path, metavar="DIR",
                   help="look only in this folder, laid out like the data mirror "
                        "(default: EMBEDLAYER_DATA, then the cache)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="network timeout per connect and per read (default: %(default)s)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar while downloading (default: show it)")
    p.set_defaults(func=_path)

    p = commands.add_parser(
        "info", help="describe one dataset: origin, licence, files and their URLs",
        description="Describe one dataset: title, format, licence note, provenance, and each "
                    "file with its size, sha256 and download URLs.",
    )
    p.add_argument("name", metavar="NAME", help="dataset name (see `embedlayer data list`)")
    p.set_defaults(func=_info)

    p = commands.add_parser(
        "verify", help="check the sha256 of local copies (OK / MISMATCH / MISSING)",
        description="Check the sha256 of every file of the local copy of each dataset and "
                    "print OK, MISMATCH or MISSING per dataset. Exits 1 if any file mismatches, "
                    "or if a dataset named on the command line is missing; with no NAME, every "
                    "dataset is checked and missing ones are only reported. Never downloads.",
    )
    p.add_argument("names", metavar="NAME", nargs="*", help="datasets to check (default: all)")
    p.add_argument("--root", type=Path, metavar="DIR",
                   help="check the copy in this folder, laid out like the data mirror "
                        "(default: EMBEDLAYER_DATA, then the cache)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar while hashing (default: show it)")
    p.set_defaults(func=_verify)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def _list(args: argparse.Namespace) -> int:
    from embedlayer import config, data

    rows = [("NAME", "FILES", "SIZE", "FORMAT", "WHERE")]
    for ds in data.list_datasets():
        found = data.locate(ds)
        if found is None:
            where = "not present"
        else:
            loc, state = found
            where = loc.kind if state is data.Presence.COMPLETE else f"{loc.kind} ({state.value})"
        rows.append((ds.name, str(len(ds.files)), _human(ds.size), ds.format, where))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [c.rjust(w) if i in (1, 2) else c.ljust(w) for i, (c, w) in
                 enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells).rstrip())
    system = data.system_resources()
    if system:
        print("\nsystem resources (installed by a system package, never downloaded here):")
        for res in system:
            try:
                where = str(data.system_path(res))
            except EmbedlayerError:
                where = f"not found: {res.install} (or set {res.env})"
            print(f"{res.name}  {res.title}  {where}")
    paths = ", ".join(str(p) for p in config.data_paths()) or "(EMBEDLAYER_DATA not set)"
    print(f"\ndata path: {paths}\ncache: {config.cache_dir()}")
    return 0


def _path(args: argparse.Namespace) -> int:
    from embedlayer import data

    print(data.path(args.name, args.file, root=args.root, download=not args.no_download,
                    timeout=args.timeout, progress=not args.quiet))
    return 0


def _info(args: argparse.Namespace) -> int:
    from embedlayer import data

    ds = data.get(args.name)
    print(f"{ds.name}: {ds.title}")
    for label, value in (
        ("citation", ds.citation), ("format", ds.format), ("encoding", ds.encoding or "binary"),
        ("licence", ds.licence), ("origin", ds.origin), ("derived", ds.derived or "no"),
        ("size", f"{_human(ds.size)} in {len(ds.files)} file(s)"),
    ):
        print(f"  {label + ':':10} {value}")
    shown = ds.files[:10]
    for f in shown:
        urls = data.source_urls(f)
        note = "" if f.url is None or f.url_verified else " (public origin, not re-checked)"
        print(f"  {f.path}  {f.size:,} B  sha256 {f.sha256}")
        print(f"    download: {', '.join(urls) + note if urls else 'none (set EMBEDLAYER_MIRROR)'}")
    if len(ds.files) > len(shown):
        print(f"  ... and {len(ds.files) - len(shown)} more files")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from embedlayer import data

    report = data.verify(args.names or None, root=args.root, progress=not args.quiet)
    width = max(len(d.name) for d in report.datasets)
    for check in report.datasets:
        where = str(check.location.root) if check.location is not None else "-"
        print(f"{check.status:<8}  {check.name:<{width}}  {where}")
        for f in check.problems[:10]:
            detail = (f"sha256 {f.actual}, expected {f.expected}" if f.status == "MISMATCH"
                      else "not found")
            print(f"    {f.status}: {f.path}: {detail}")
        if len(check.problems) > 10:
            print(f"    ... and {len(check.problems) - 10} more")
    counts = {s: sum(d.status == s for d in report.datasets) for s in ("OK", "MISMATCH", "MISSING")}
    print(", ".join(f"{n} {s}" for s, n in counts.items()))
    failed = bool(report.mismatched) or (bool(args.names) and bool(report.missing))
    return 1 if failed else 0
