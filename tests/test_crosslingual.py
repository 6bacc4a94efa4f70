"""Cross-lingual mapping: Procrustes and least squares recover known maps, self-learning grows
a 5-pair seed into the whole dictionary, CSLS equals its formula, least squares matches
gensim's TranslationMatrix on its EN/IT data, BLI scores a hand case, bad input is one clear
error, and `embedlayer align` / `translate` work end to end."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from embedlayer.cli.main import main
from embedlayer.errors import ConfigError, FormatError, MissingFileError, VocabError
from embedlayer.transform import (
    align,
    cross_validate_bli,
    dictionary_coverage,
    evaluate_bli,
    identical_pairs,
    least_squares,
    normalize_vectors,
    parse_normalization,
    procrustes,
    read_dictionary,
    self_learning,
    split_folds,
    translate,
)
from embedlayer.transform.retrieval import mean_topk_similarity, search, unit_rows
from embedlayer.vectors import Vectors
from embedlayer.vectors.io import load_vectors, save_vectors

EN = "EN.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt"
IT = "IT.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt"
OPUS = "OPUS_en_it_europarl_train_one2ten.txt"


def _rotation(d: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def _bilingual(n: int = 2000, d: int = 10, noise: float = 0.01, seed: int = 0):
    """Source s{i}; target = rotation + noise, rows shuffled so ids do not match trivially.

    The source has a cluster structure (30 anisotropic cluster centres, one scale per
    dimension, and points around them), so that the rotation is pinned down by the shape of
    the cloud and nearest neighbours are meaningful. (On a plain Gaussian whose scales are
    close, self-learning from 5 pairs can stop in a wrong local optimum, as it can on real
    vectors: VecMap starts from 25 pairs or numerals.)
    """
    rng = np.random.default_rng(seed)
    scales = 3.0 * 0.75 ** np.arange(d)
    centres = rng.normal(size=(30, d)) * scales
    x = centres[rng.integers(30, size=n)] + 0.3 * scales * rng.normal(size=(n, d))
    q = _rotation(d, seed + 1)
    z = x @ q + noise * rng.normal(size=(n, d))
    perm = rng.permutation(n)  # source word i translates to target row perm[i]
    tz = np.empty_like(z)
    tz[perm] = z
    src = Vectors([f"s{i}" for i in range(n)], x)
    tgt = Vectors([f"t{j}" for j in range(n)], tz)
    pairs = [(f"s{i}", f"t{perm[i]}") for i in range(n)]
    return src, tgt, pairs, q


# --- dictionaries -------------------------------------------------------------------------
def test_read_dictionary_shared_files(data_dir: Path):
    swadesh = read_dictionary(data_dir / "bilingual" / "swadesh" / "en-es.txt")
    assert swadesh[:3] == [("i", "yo"), ("you", "tú"), ("you", "usted")]
    assert len(swadesh) == 236
    opus = read_dictionary(data_dir / "formats" / OPUS)  # its last line has no newline
    assert len(opus) == 20 and opus[0] == ("one", "uno") and opus[-1] == ("mango", "mango")


def test_read_dictionary_tabs_and_blank_lines(tmp_path: Path):
    path = tmp_path / "d.txt"
    path.write_text("a\tb\n\n  c   d  \n", encoding="utf-8")
    assert read_dictionary(path) == [("a", "b"), ("c", "d")]


@pytest.mark.parametrize(("text", "expected"), [
    ("", "no word pairs"),
    ("\n \n", "no word pairs"),
    ("one uno\ntwo\n", "line 2: expected two words"),
    ("one uno\ntwo due tre\n", "line 2: expected two words 'source target', got 3"),
])
def test_bad_dictionary_files(tmp_path: Path, text: str, expected: str):
    path = tmp_path / "d.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError, match=expected) as err:
        read_dictionary(path)
    assert str(path) in str(err.value)


def test_missing_and_undecodable_dictionary(tmp_path: Path):
    with pytest.raises(MissingFileError):
        read_dictionary(tmp_path / "nope.txt")
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9 x\n")
    with pytest.raises(FormatError, match="not valid utf-8"):
        read_dictionary(tmp_path / "bad.txt")


def test_coverage_counts_and_no_covered_pair_is_a_clear_error():
    src = Vectors(["a", "b", "c"], np.eye(3))
    tgt = Vectors(["x", "y", "z"], np.eye(3))
    pairs = [("a", "x"), ("b", "q"), ("p", "y"), ("p", "q"), ("a", "z")]
    cov = dictionary_coverage(pairs, src, tgt)
    assert (cov.pairs, cov.with_source, cov.with_target, cov.both, cov.source_words) == \
        (5, 3, 3, 2, 1)
    with pytest.raises(VocabError) as err:
        align(src, tgt, [("b", "q"), ("p", "y"), ("q", "r")])
    message = str(err.value)
    assert "3 pairs: 1 with the source word, 1 with the target word, 0 with both" in message
    with pytest.raises(ConfigError, match="empty"):
        align(src, tgt, [])


def test_mismatched_dimensions():
    src = Vectors(["a", "b", "c"], np.random.default_rng(0).normal(size=(3, 4)))
    tgt = Vectors(["x", "y", "z"], np.random.default_rng(1).normal(size=(3, 5)))
    pairs = [("a", "x"), ("b", "y"), ("c", "z")]
    with pytest.raises(ConfigError, match="4 dimensions and the target vectors 5.*lstsq"):
        align(src, tgt, pairs)
    with pytest.raises(ConfigError, match="same dimension"):
        procrustes(src.matrix, tgt.matrix)
    result = align(src, tgt, pairs, method="lstsq", normalize="none")  # least squares may
    assert result.matrix.shape == (4, 5) and result.source.dim == 5  # change the dimension
    with pytest.raises(ConfigError, match="4 dimensions and the target vectors 5"):
        translate(src, tgt, ["a"])
    with pytest.raises(ConfigError, match="same"):
        evaluate_bli(src, tgt, pairs)


def test_identical_pairs_and_folds():
    src = Vectors(["1", "the", "paris", "2", "dog"], np.eye(5))
    tgt = Vectors(["el", "2", "paris", "perro", "1"], np.eye(5))
    assert identical_pairs(src, tgt) == [("1", "1"), ("paris", "paris"), ("2", "2")]
    assert identical_pairs(src, tgt, limit=3) == [("paris", "paris")]
    assert identical_pairs(src, tgt, exclude={"1"}) == [("paris", "paris"), ("2", "2")]
    pairs = [(f"w{i % 7}", f"v{i}") for i in range(20)]
    folds = split_folds(pairs, 3, seed=4)
    tests = [{s for s, _ in test} for _, test in folds]
    assert set().union(*tests) == {f"w{i}" for i in range(7)}
    assert sum(len(t) for t in tests) == 7  # disjoint source words
    for train, test in folds:
        assert {s for s, _ in train}.isdisjoint({s for s, _ in test})
        assert len(train) + len(test) == 20
    assert folds == split_folds(pairs, 3, seed=4)
    with pytest.raises(ConfigError, match="folds"):
        split_folds(pairs, 1)


def test_normalization_steps():
    assert parse_normalization("unit,center,unit") == ("unit", "center", "unit")
    assert parse_normalization("none") == () == parse_normalization("")
    with pytest.raises(ConfigError, match="'centre' is unknown"):
        parse_normalization("unit,centre")
    v = Vectors(["a", "b", "c"], np.random.default_rng(0).normal(size=(3, 4)) + 5)
    out = normalize_vectors(v, "unit,center,unit")
    np.testing.assert_allclose(np.linalg.norm(out.matrix, axis=1), 1.0, rtol=1e-6)
    centered = normalize_vectors(v, "center").matrix
    np.testing.assert_allclose(centered.mean(axis=0), 0.0, atol=1e-5)
    assert normalize_vectors(v, "none") is v


# --- the mappings -------------------------------------------------------------------------
def test_procrustes_recovers_a_rotation_exactly():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 16))
    q = _rotation(16, 4)
    np.testing.assert_allclose(procrustes(x, x @ q), q, atol=1e-10)
    w = procrustes(x, x @ q + 0.01 * rng.normal(size=(50, 16)))
    np.testing.assert_allclose(w, q, atol=0.02)
    np.testing.assert_allclose(w @ w.T, np.eye(16), atol=1e-10)  # still orthogonal


def test_align_recovers_the_rotation_and_maps_onto_the_target():
    src, tgt, pairs, q = _bilingual(n=300, d=8, noise=0.0)
    result = align(src, tgt, pairs[:40], normalize="none")
    np.testing.assert_allclose(result.matrix, q, atol=1e-6)
    np.testing.assert_allclose(result.source["s7"], tgt[pairs[7][1]], atol=1e-4)
    assert result.method == "procrustes" and result.iterations == 1 and len(result.pairs) == 40
    noisy = align(*_bilingual(n=300, d=8, noise=0.05)[:2], pairs[:100], normalize="none")
    np.testing.assert_allclose(noisy.matrix, q, atol=0.05)


def test_least_squares_recovers_a_general_linear_map():
    rng = np.random.default_rng(5)
    x, m = rng.normal(size=(40, 6)), rng.normal(size=(6, 6))
    np.testing.assert_allclose(least_squares(x, x @ m), m, atol=1e-10)
    w = procrustes(x, x @ m)  # not orthogonal: Procrustes cannot fit it
    assert np.abs(x @ w - x @ m).max() > 0.1


@pytest.mark.parametrize("induction", ["nn", "csls"])
def test_self_learning_recovers_the_rotation_from_five_seed_pairs(induction: str):
    src, tgt, pairs, q = _bilingual()
    seed = pairs[:5]
    alone = align(src, tgt, seed, normalize="none")
    assert evaluate_bli(alone.source, alone.target, pairs, ks=(1,)).precision[1] < 0.5
    result = self_learning(src, tgt, seed, normalize="none", induction=induction,
                           progress=False)
    np.testing.assert_allclose(result.matrix, q, atol=0.01)
    assert evaluate_bli(result.source, result.target, pairs, ks=(1,)).precision[1] == 1.0
    assert len(result.pairs) > 1900 and 2 <= result.iterations < 50
    assert result.coverage.both == 5 and result.objective[-1] > result.objective[0]


def test_self_learning_with_the_usual_normalization_and_a_small_vocabulary():
    src, tgt, pairs, _ = _bilingual(seed=7)
    result = self_learning(src, tgt, pairs[:5], vocab_size=800, progress=False)
    assert result.normalize == ("unit", "center", "unit")
    assert all(int(s[1:]) < 800 for s, _ in result.pairs)  # induced among the first 800 only
    assert evaluate_bli(result.source, result.target, pairs, ks=(1,)).precision[1] > 0.99


def test_self_learning_stops_at_max_iterations():
    src, tgt, pairs, _ = _bilingual(n=400)
    result = self_learning(src, tgt, pairs[:5], normalize="none", max_iterations=2,
                           progress=False)
    assert result.iterations == 2 and len(result.objective) == 1
    with pytest.raises(ConfigError, match="max_iterations"):
        self_learning(src, tgt, pairs[:5], max_iterations=0)


# --- retrieval ----------------------------------------------------------------------------
def _csls_direct(mapped: np.ndarray, target: np.ndarray, k: int) -> np.ndarray:
    """CSLS(x, y) = 2 cos(x, y) - r_T(x) - r_S(y), straight from the formula, one pair at a time."""
    def cos(a, b):
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    def r(v, others):
        sims = sorted((cos(v, o) for o in others), reverse=True)
        return sum(sims[:k]) / min(k, len(others))

    r_t = [r(x, target) for x in mapped]
    r_s = [r(y, mapped) for y in target]
    out = np.empty((len(mapped), len(target)))
    for i, x in enumerate(mapped):
        for j, y in enumerate(target):
            out[i, j] = 2 * cos(x, y) - r_t[i] - r_s[j]
    return out


@pytest.mark.parametrize("block_scores", [7, 1 << 24])  # many tiny blocks, one block
def test_csls_equals_its_formula(block_scores: int):
    rng = np.random.default_rng(11)
    mapped, target = rng.normal(size=(23, 6)), rng.normal(size=(31, 6))
    expected = _csls_direct(mapped, target, k=4)
    ids, scores = search(unit_rows(mapped), unit_rows(target), 31, retrieval="csls", csls_k=4,
                         source=unit_rows(mapped), block_scores=block_scores)
    got = np.take_along_axis(expected, ids, axis=1)
    np.testing.assert_allclose(scores, got, atol=1e-5)  # the scores are CSLS's
    np.testing.assert_array_equal(ids, np.argsort(-expected, axis=1, kind="stable"))
    r_t = mean_topk_similarity(unit_rows(mapped), unit_rows(target), 4, block_scores=block_scores)
    direct = [np.sort(unit_rows(target) @ unit_rows(mapped)[i])[-4:].mean() for i in range(23)]
    np.testing.assert_allclose(r_t, direct, atol=1e-6)


def test_nn_search_is_the_cosine_ranking():
    rng = np.random.default_rng(12)
    q, t = unit_rows(rng.normal(size=(9, 5))), unit_rows(rng.normal(size=(40, 5)))
    ids, scores = search(q, t, 6, block_scores=50)
    cos = q @ t.T
    np.testing.assert_array_equal(ids, np.argsort(-cos, axis=1, kind="stable")[:, :6])
    np.testing.assert_allclose(scores, np.sort(cos, axis=1)[:, ::-1][:, :6], atol=1e-6)


def test_csls_demotes_a_hub():
    # "hub" (45 degrees) is the nearest target of x (25) and y (65), and of the two mapped
    # words sitting on it; with k=2 its r_S is 1, a's and b's about 0.81, so CSLS picks a, b.
    def circle(*degrees):
        return np.c_[np.cos(np.radians(degrees)), np.sin(np.radians(degrees))]

    target = Vectors(["a", "b", "hub"], circle(0, 90, 45))
    mapped = Vectors(["x", "y", "z1", "z2"], circle(25, 65, 45, 45))
    assert [t[0][0] for t in translate(mapped, target, ["x", "y"], k=1)] == ["hub", "hub"]
    got = translate(mapped, target, ["x", "y"], k=1, retrieval="csls", csls_k=2)
    assert [t[0][0] for t in got] == ["a", "b"]


# --- gensim parity ------------------------------------------------------------------------
def test_least_squares_matches_gensim_translation_matrix(data_dir: Path):
    from gensim.models import KeyedVectors, TranslationMatrix

    folder = data_dir / "formats"
    pairs = read_dictionary(folder / OPUS)
    train, words = pairs[:15], [s for s, _ in pairs]
    en_kv = KeyedVectors.load_word2vec_format(str(folder / EN))
    it_kv = KeyedVectors.load_word2vec_format(str(folder / IT))
    model = TranslationMatrix(en_kv, it_kv)
    model.train(train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "source_lang_vec isn't specified"
        expected = model.translate(words, topn=5)
    en, it = load_vectors(folder / EN, progress=False), load_vectors(folder / IT, progress=False)
    # gensim scales each row to unit length (no centering), fits lstsq on the pairs' rows and
    # ranks every target word by its dot product with the mapped unit source vector.
    ours = align(en, it, train, method="lstsq", normalize="unit")
    np.testing.assert_allclose(ours.matrix, model.translation_matrix, atol=1e-5)
    got = translate(ours.source, ours.target, words, k=5)
    assert {w: [t for t, _ in row] for w, row in zip(words, got, strict=True)} == \
        dict(expected)


# --- BLI ----------------------------------------------------------------------------------
def test_bli_precision_on_a_hand_case():
    # Targets on the unit circle at 0, 30, 60, 90 degrees; each mapped source word sits on
    # one of them, so its ranking is known by hand.
    angles = np.radians([0, 30, 60, 90])
    target = Vectors(["t0", "t30", "t60", "t90"], np.c_[np.cos(angles), np.sin(angles)])
    mapped = Vectors(["a", "b", "c", "d"],
                     np.c_[np.cos(np.radians([0, 25, 85, 50])),
                           np.sin(np.radians([0, 25, 85, 50]))])
    pairs = [("a", "t0"),               # rank 1: correct at 1
             ("b", "t0"), ("b", "t90"),  # ranking t30, t0, ...: t0 second, correct at 2
             ("c", "t0"),               # ranking t90, t60, t30, t0: correct only at 4
             ("d", "t60"),              # ranking t60, t30, t90, t0: correct at 1
             ("e", "t0"), ("d", "zz")]  # not covered
    result = evaluate_bli(mapped, target, pairs, ks=(1, 2, 3))
    assert result.queries == 4 and result.correct == {1: 2, 2: 3, 3: 3}
    assert result.precision == {1: 0.5, 2: 0.75, 3: 0.75}
    cov = result.coverage
    assert (cov.pairs, cov.with_source, cov.with_target, cov.both) == (7, 6, 6, 5)
    with pytest.raises(VocabError, match="2 pairs: 1 with the source word"):
        evaluate_bli(mapped, target, [("e", "t0"), ("d", "zz")])


def test_cross_validation_scores_every_covered_word_once():
    src, tgt, pairs, _ = _bilingual(n=300, d=8, noise=0.0)
    pairs = pairs + [("s0", "t_unknown"), ("s_unknown", "t1")]
    seen = []

    def fit(train, test):
        seen.append((len(train), {s for s, _ in test}))
        return align(src, tgt, train, normalize="none")

    cv = cross_validate_bli(src, tgt, pairs, fit, folds=5, seed=1, retrievals=("nn", "csls"))
    assert set(cv) == {"nn", "csls"}
    assert cv["nn"].queries == 300 and cv["csls"].queries == 300
    assert cv["nn"].precision == {1: 1.0, 5: 1.0, 10: 1.0}
    assert cv["nn"].coverage.both == 300 and cv["nn"].coverage.pairs == 302
    assert sum(n for n, _ in seen) == 4 * 300  # each covered pair trains in 4 folds of 5
    assert set().union(*(words for _, words in seen)) == {f"s{i}" for i in range(300)}


# --- the command line ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xl")
    src, tgt, pairs, _ = _bilingual(n=400, d=8, noise=0.001, seed=2)
    save_vectors(src, folder / "src.vec", format="word2vec-text", progress=False)
    save_vectors(tgt, folder / "tgt", progress=False)
    (folder / "dict.txt").write_text("".join(f"{s} {t}\n" for s, t in pairs[:60]))
    return folder, dict(pairs)


def test_cli_align_then_translate(small_files, tmp_path: Path, capsys):
    folder, gold = small_files
    mapped, normed = tmp_path / "mapped", tmp_path / "tgt-normed"
    assert main(["align", str(folder / "src.vec"), str(folder / "tgt"), "--dict",
                 str(folder / "dict.txt"), "-o", str(mapped), "--target-output", str(normed),
                 "--quiet"]) == 0
    out = capsys.readouterr()
    assert "60 pairs: 60 with the source word, 60 with the target word, 60 with both" in out.err
    assert len(load_vectors(mapped, progress=False)) == 400
    words = ["s100", "s200", "s399"]  # not in the dictionary
    assert main(["translate", str(mapped), str(folder / "tgt"), *words, "--k", "3",
                 "--normalize", "unit,center,unit", "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "s100" and lines[1].split()[:2] == ["1", gold["s100"]]
    assert lines[4] == "s200" and lines[5].split()[1] == gold["s200"]
    assert len(lines) == 12
    # the normalized target written by align needs no --normalize
    assert main(["translate", str(mapped), str(normed), "s399", "--retrieval", "csls",
                 "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[1] == gold["s399"]


def test_cli_self_learning_from_a_seed(small_files, tmp_path: Path, capsys):
    folder, gold = small_files
    seed = tmp_path / "seed.txt"
    seed.write_text("".join(f"{s} {gold[s]}\n" for s in ["s0", "s1", "s2", "s3", "s4"]))
    out = tmp_path / "m.vec"
    assert main(["align", str(folder / "src.vec"), str(folder / "tgt"), "--seed-dict",
                 str(seed), "--self-learning", "--normalize", "none", "-o", str(out),
                 "--format", "word2vec-text", "--quiet"]) == 0
    assert "self-learning:" in capsys.readouterr().err
    assert main(["translate", str(out), str(folder / "tgt"), "s300", "--k", "1",
                 "--quiet"]) == 0
    assert capsys.readouterr().out.split()[2] == gold["s300"]


def test_cli_bad_input_is_one_line_and_clobbers_nothing(small_files, tmp_path: Path, capsys):
    folder, _ = small_files
    src, tgt, dic = str(folder / "src.vec"), str(folder / "tgt"), str(folder / "dict.txt")
    existing = tmp_path / "existing.vec"
    existing.write_text("keep me")
    assert main(["align", src, tgt, "--dict", dic, "-o", str(existing), "--quiet"]) == 1
    assert "exists; pass --force" in capsys.readouterr().err
    assert existing.read_text() == "keep me"
    swapped = tmp_path / "swapped.txt"  # target words first: nothing covered
    swapped.write_text("".join(f"{t} {s}\n" for s, t in (ln.split() for ln in
                                                          Path(dic).read_text().splitlines())))
    out = tmp_path / "never"
    assert main(["align", src, tgt, "--dict", str(swapped), "-o", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "0 with both" in err and "60 pairs" in err
    assert not out.exists()
    assert main(["align", src, tgt, "-o", str(out), "--quiet"]) == 1
    assert "--dict is required" in capsys.readouterr().err
    assert main(["align", src, tgt, "--dict", dic, "-o", str(out), "--normalize", "centre",
                 "--quiet"]) == 1
    assert "'centre' is unknown" in capsys.readouterr().err
    assert main(["align", src, tgt, "--dict", dic, "-o", src, "--force", "--quiet"]) == 1
    assert "is also an input" in capsys.readouterr().err
    assert main(["translate", src, tgt, "nope", "--quiet"]) == 1
    assert "'nope' is not among the 400 mapped source words" in capsys.readouterr().err
