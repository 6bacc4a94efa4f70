"""`embedlayer plot words | loss | report` on a demo run: the PNGs exist, open and are not
blank; outputs are checked before any work; bad input is one line on stderr."""

from __future__ import annotations

import pytest

from embedlayer.cli.main import main

from ._plot_demo import demo_dir, png, w2v_model  # noqa: F401 - session fixtures


def _run(capsys, *argv):
    code = main(["plot", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_plot_produces_the_three_pictures_from_a_demo_run(demo_dir, w2v_model, tmp_path,  # noqa: F811
                                                          capsys):
    words = tmp_path / "words.png"
    code, out, err = _run(capsys, "words", demo_dir / "vectors", "--words",
                          "god,earth,man,woman", "--neighbours", "day", "--topn", "4",
                          "--quiet", "-o", words)
    assert (code, err) == (0, "") and "9 words, pca" in out
    png(words)
    loss = tmp_path / "loss.png"
    code, out, err = _run(capsys, "loss", demo_dir / "classifier", w2v_model, "-o", loss)
    assert code == 0 and "classifier: a text classifier" in out and "w2v.model: a word2vec model" in out
    png(loss)
    report = tmp_path / "report.png"
    assert _run(capsys, "report", demo_dir / "eval.json", "-o", report)[0] == 0
    png(report)
    # the default picture: the 40 most frequent words
    top = tmp_path / "top.png"
    code, out, _ = _run(capsys, "words", demo_dir / "vectors", "--quiet", "-o", top)
    assert code == 0 and "40 words" in out
    png(top)


def test_an_existing_output_is_refused_unless_force(demo_dir, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "report.png"
    out.write_bytes(b"mine")
    code, _, err = _run(capsys, "report", demo_dir, "-o", out)
    assert code == 1 and "pass --force" in err and out.read_bytes() == b"mine"
    assert _run(capsys, "report", demo_dir, "-o", out, "--force")[0] == 0
    png(out)


@pytest.mark.parametrize(("argv", "message"), [
    (["words", "{demo}/vectors", "--words", "god,qqq,zzz", "-o", "{tmp}/a.png"],
     "2 of 3 words to plot (named) are not in the vectors: 'qqq', 'zzz'"),
    (["words", "{demo}/vectors", "--words", "god", "-o", "{tmp}/a.png"], "at least 2 words"),
    (["words", "{demo}/vectors", "--words", ",", "-o", "{tmp}/a.png"], "name no word"),
    (["words", "{demo}/vectors", "--words", "god,man", "-o", "{tmp}/a.jpg"], "ending in .png"),
    (["words", "{demo}/vectors", "--top", "0", "-o", "{tmp}/a.png"], "--top must be >= 1"),
    (["words", "{demo}/vectors", "--words", "god,man"], "-o/--output is required"),
    (["loss", "{demo}", "-o", "{tmp}/a.png"], "its subfolder classifier/ may hold one"),
    (["loss", "{tmp}", "-o", "{tmp}/a.png"], "no loss history here"),
    (["loss", "{demo}/classifier", "--label", "a", "--label", "b", "-o", "{tmp}/a.png"],
     "--label given 2 times for 1 runs"),
    (["report", "{demo}/demo.json", "-o", "{tmp}/a.png"], "expected 'embedlayer.eval-report'"),
    (["report", "{demo}", "-o", "{demo}"], "is a folder"),
])
def test_bad_input_is_one_line_and_writes_nothing(demo_dir, tmp_path, capsys, argv,  # noqa: F811
                                                  message):
    sub = {"demo": str(demo_dir), "tmp": str(tmp_path)}
    code, _, err = _run(capsys, *(a.format(**sub) for a in argv))
    assert code == 1 and err.count("\n") == 1 and message in err, err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("a.*"))
