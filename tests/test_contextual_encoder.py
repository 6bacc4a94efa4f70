"""TransformerEncoder on all-MiniLM-L6-v2 (shipped in a PyPI wheel, never downloaded):
parity with sentence-transformers, pooling, windows, token and word views, int8, bad input."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from embedlayer.contextual import TransformerEncoder, open_checkpoint
from embedlayer.contextual._kernels_int8 import (
    dequantize_add_bias,
    dequantize_add_bias_reference,
    quantize_rows,
    quantize_rows_reference,
)
from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.vectors import Vectors
from embedlayer.vectors.encoder import Encoder, StaticEncoder

MINILM = "all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def wikiqa(data_dir: Path) -> list[str]:
    with open(data_dir / "qa/wikiqa/WikiQA-test.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    return [r[5] for r in rows]


@pytest.fixture(scope="module")
def sample(wikiqa: list[str]) -> list[str]:
    # The 20 longest sentences and 130 spread over the file: padding and length sorting both
    # matter; the test budget allows about 150.
    by_length = sorted(wikiqa, key=len)
    return by_length[-20:] + wikiqa[::47][:130]


@pytest.fixture(scope="module")
def encoder() -> TransformerEncoder:
    torch.manual_seed(0)
    return TransformerEncoder(MINILM, workers=1)


def test_parity_with_sentence_transformers(encoder: TransformerEncoder, sample: list[str]):
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(open_checkpoint(MINILM).path), device="cpu")
    theirs = st.encode(sample, batch_size=32, convert_to_numpy=True)
    ours = encoder.encode(sample)
    assert ours.dtype == np.float32 and ours.shape == (len(sample), 384)
    cos = (ours * theirs).sum(axis=1) / (np.linalg.norm(ours, axis=1)
                                         * np.linalg.norm(theirs, axis=1))
    assert cos.min() >= 0.9999
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)
    assert encoder.stats_.windowed_texts == 0  # WikiQA sentences fit in 256 tokens


def test_defaults_come_from_the_checkpoints_sentence_transformers_files(encoder):
    assert (encoder.pooling, encoder.normalize, encoder.max_length) == ("mean", True, 256)
    ident = encoder.identity()
    assert ident["kind"] == "transformer" and ident["checkpoint"] == MINILM
    assert isinstance(encoder, Encoder)
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def _manual(texts: list[str], pooling: str) -> np.ndarray:
    """The pooling written out over transformers' own model, one text at a time."""
    from transformers import AutoModel, AutoTokenizer

    path = str(open_checkpoint(MINILM).path)
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    out = []
    with torch.inference_mode():
        for text in texts:
            batch = tok([text], return_tensors="pt", truncation=True, max_length=256)
            h = model(**batch).last_hidden_state[0]
            out.append({"mean": h.mean(0), "cls": h[0], "max": h.max(0).values}[pooling].numpy())
    return np.stack(out)


@pytest.mark.parametrize("pooling", ["mean", "cls", "max"])
def test_pooling_masks_padding(pooling: str, sample: list[str]):
    texts = sample[:3] + ["Short one.", "A somewhat longer sentence with more tokens in it."]
    enc = TransformerEncoder(MINILM, pooling=pooling, normalize=False, workers=1)
    batched = enc.encode(texts)
    np.testing.assert_allclose(batched, _manual(texts, pooling), rtol=1e-4, atol=2e-5)


def test_order_and_batching_do_not_change_the_vectors(encoder, sample):
    texts = sample[:40]
    full = encoder.encode(texts)
    again = encoder.encode(texts)
    np.testing.assert_array_equal(full, again)  # deterministic
    one_by_one = np.concatenate([encoder.encode([t]) for t in texts[:8]])
    np.testing.assert_allclose(one_by_one, full[:8], rtol=1e-5, atol=1e-5)
    reversed_ = encoder.encode(texts[::-1])[::-1]
    np.testing.assert_allclose(reversed_, full, rtol=1e-5, atol=1e-5)


def test_empty_text_has_a_defined_vector(encoder):
    out = encoder.encode(["", "   ", "\n"])
    assert np.isfinite(out).all()
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(out[0], out[1])
    assert encoder.stats_.empty_texts == 3
    assert encoder.encode([]).shape == (0, 384)


def test_long_text_is_windowed_and_reported(encoder):
    text = "The quick brown fox jumps over the lazy dog. " * 2300  # 103,500 characters
    assert len(text) > 100_000
    out = encoder.encode([text, "short"])
    assert np.isfinite(out).all()
    stats = encoder.stats_
    assert stats.windowed_texts == 1 and stats.windows > 40 and stats.texts == 2


def test_windows_pool_every_window(encoder):
    """With a small max_length, mean pooling equals the token-weighted mean of the windows."""
    enc = TransformerEncoder(MINILM, max_length=16, stride=4, normalize=False, workers=1)
    text = " ".join(f"word{i}" for i in range(30))
    vec = enc.encode([text])[0]
    assert enc.stats_.windowed_texts == 1
    windows, _ = enc._windows([text], pretokenized=False)
    assert len(windows) == enc.stats_.windows >= 3
    parts = [(np.asarray(w.ids), np.asarray(w.type_ids)) for w in windows]
    sums, count = np.zeros(384), 0
    with torch.inference_mode():
        for ids, types in parts:
            h = enc._model(input_ids=torch.from_numpy(ids[None]),
                           token_type_ids=torch.from_numpy(types[None])).last_hidden_state[0]
            sums += h.sum(0).numpy()
            count += len(ids)
    np.testing.assert_allclose(vec, sums / count, rtol=1e-4, atol=1e-5)
    # every token of the text appears once in the token view, in order
    tv = enc.encode_tokens([text])[0]
    assert tv.offsets[:, 0].tolist() == sorted(tv.offsets[:, 0].tolist())
    whole = TransformerEncoder(MINILM, workers=1).encode_tokens([text])[0]
    assert tv.tokens == whole.tokens


def test_token_offsets_point_into_the_text(encoder):
    text = "Embedding layers turn token ids into vectors, unbelievably."
    tv = encoder.encode_tokens([text])[0]
    assert tv.vectors.shape == (len(tv.tokens), 384)
    for token, (start, end) in zip(tv.tokens, tv.offsets, strict=True):
        assert text[start:end].lower() == token.removeprefix("##")
    assert tv.tokens[:3] == ["em", "##bed", "##ding"]  # one word, three pieces
    assert tv.word_ids[:4].tolist() == [0, 0, 0, 1]
    words = tv.words("first")
    assert words.shape[0] == tv.word_ids.max() + 1


def test_word_view_first_and_mean(encoder):
    sentences = [["Unbelievably", "good", "tokenization"], ["x"], ["a", "\u200b", "b"]]
    first = encoder.encode_words(sentences, how="first")
    mean = encoder.encode_words(sentences, how="mean")
    unmatched = encoder.stats_.unmatched_words
    assert [f.shape for f in first] == [(3, 384), (1, 384), (3, 384)]
    tv = encoder._token_vectors([sentences[0]], pretokenized=True, progress=False)[0]
    first_ids = [int(np.flatnonzero(tv.word_ids == w)[0]) for w in range(3)]
    np.testing.assert_allclose(first[0], tv.vectors[first_ids], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mean[0][0], tv.vectors[tv.word_ids == 0].mean(0), rtol=1e-5,
                               atol=1e-6)
    assert not np.allclose(first[0][0], mean[0][0])  # "unbelievably" has several pieces
    # the zero-width space normalizes to nothing: a zero row, counted
    assert np.all(first[2][1] == 0) and unmatched == 1
    with pytest.raises(ConfigError, match="list of words"):
        encoder.encode_words(["not split"])


def test_int8_path_stays_close_and_is_selected_by_one_option(encoder, sample):
    int8 = TransformerEncoder(MINILM, precision="int8", workers=1)
    fp32 = encoder.encode(sample)
    q = int8.encode(sample)
    cos = (fp32 * q).sum(axis=1)
    assert cos.min() >= 0.99
    assert int8.identity()["precision"] == "int8"
    from embedlayer.contextual._int8 import Int8GELUFeedForwardIn, Int8Linear

    # 6 layers x (query, key, value, attention output, feed-forward in and out)
    assert sum(isinstance(m, Int8Linear) for m in int8._model.modules()) == 36
    assert sum(isinstance(m, Int8GELUFeedForwardIn) for m in int8._model.modules()) == 6
    assert not any(isinstance(m, torch.nn.Linear) for m in int8._model.modules())


@pytest.mark.parametrize("shape", [(1, 5), (7, 384), (33, 1536), (4, 0)])
def test_quantize_rows_matches_reference(shape):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * rng.uniform(0.01, 50, (shape[0], 1))).astype(np.float32)
    if shape[0] > 2:
        x[1] = 0.0  # a zero row gets scale 1
        x[2, : min(3, shape[1])] = [300.0, -300.0, 1e-3][: min(3, shape[1])]
    smooth = rng.uniform(0.1, 3, shape[1]).astype(np.float32)
    q = np.empty(shape, np.int8)
    s = np.empty(shape[0], np.float32)
    quantize_rows(x, smooth, q, s)
    q_ref, s_ref = quantize_rows_reference(x, smooth)
    np.testing.assert_allclose(s, s_ref, rtol=1e-6)
    diff = np.abs(q.astype(np.int32) - q_ref.astype(np.int32))
    assert diff.max(initial=0) <= 1  # fastmath may move a value on a rounding boundary
    if shape[1]:
        assert (diff > 0).mean() < 1e-3
        np.testing.assert_allclose(q * s[:, None], x * smooth, atol=float(s.max()) * 0.51)


def test_fused_gelu_kernel_matches_reference():
    from embedlayer.contextual._kernels_int8 import (
        dequantize_gelu_quantize,
        dequantize_gelu_quantize_reference,
    )

    rng = np.random.default_rng(5)
    acc = rng.integers(-2**16, 2**16, (11, 40)).astype(np.int32)
    rs = rng.uniform(1e-5, 1e-4, 11).astype(np.float32)
    cs = rng.uniform(0.1, 1, 40).astype(np.float32)
    bias = rng.standard_normal(40).astype(np.float32)
    smooth = rng.uniform(0.5, 2, 40).astype(np.float32)
    q = np.empty((11, 40), np.int8)
    s = np.empty(11, np.float32)
    dequantize_gelu_quantize(acc, rs, cs, bias, smooth, q, s)
    q_ref, s_ref = dequantize_gelu_quantize_reference(acc, rs, cs, bias, smooth)
    np.testing.assert_allclose(s, s_ref, rtol=1e-5)
    assert np.abs(q.astype(np.int32) - q_ref).max() <= 1


def test_dequantize_matches_reference():
    rng = np.random.default_rng(4)
    acc = rng.integers(-2**20, 2**20, (9, 17)).astype(np.int32)
    rs = rng.uniform(0.001, 1, 9).astype(np.float32)
    cs = rng.uniform(0.001, 1, 17).astype(np.float32)
    bias = rng.standard_normal(17).astype(np.float32)
    out = np.empty((9, 17), np.float32)
    dequantize_add_bias(acc, rs, cs, bias, out)
    np.testing.assert_allclose(out, dequantize_add_bias_reference(acc, rs, cs, bias),
                               rtol=1e-5, atol=1e-5)


def test_int8_linear_matches_float_linear():
    from embedlayer.contextual._int8 import Int8Linear

    torch.manual_seed(1)
    lin = torch.nn.Linear(64, 48)
    x = torch.randn(2, 5, 64)
    with torch.inference_mode():
        ref = lin(x)
        got = Int8Linear(lin)(x)
    assert got.shape == ref.shape
    rel = (got - ref).norm() / ref.norm()
    assert rel < 0.02


# --- checkpoint folders and bad input ----------------------------------------------------

def _copy_checkpoint(tmp_path: Path, skip: tuple[str, ...] = ()) -> Path:
    src = open_checkpoint(MINILM).path
    dst = tmp_path / "ckpt"
    dst.mkdir(parents=True)
    for item in src.iterdir():
        if item.name in skip or item.is_dir():
            continue
        (dst / item.name).symlink_to(item)
    return dst


def test_a_copied_folder_loads_like_the_known_name(tmp_path, encoder):
    folder = _copy_checkpoint(tmp_path)
    enc = TransformerEncoder(folder, workers=1)
    # the folder has no 1_Pooling/ (not copied): mean pooling is the default anyway
    assert enc.checkpoint.name == "ckpt" and enc.pooling == "mean"
    np.testing.assert_allclose(enc.encode(["hello there"]), encoder.encode(["hello there"]),
                               rtol=1e-6, atol=1e-7)


def test_missing_tokenizer_weights_and_config_are_one_line_errors(tmp_path):
    with pytest.raises(MissingFileError, match="tokenizer.json"):
        TransformerEncoder(_copy_checkpoint(tmp_path / "a", skip=("tokenizer.json",)))
    with pytest.raises(MissingFileError, match="no weights"):
        TransformerEncoder(_copy_checkpoint(tmp_path / "b", skip=("model.safetensors",)))
    with pytest.raises(MissingFileError, match="config.json"):
        TransformerEncoder(_copy_checkpoint(tmp_path / "c", skip=("config.json",)))
    with pytest.raises(MissingFileError, match="no such folder"):
        TransformerEncoder(tmp_path / "nowhere")


def test_pickle_only_and_corrupt_header_are_refused(tmp_path):
    folder = _copy_checkpoint(tmp_path / "p", skip=("model.safetensors",))
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04not really")
    with pytest.raises(FormatError, match="pickle"):
        TransformerEncoder(folder)
    folder = _copy_checkpoint(tmp_path / "h", skip=("model.safetensors",))
    (folder / "model.safetensors").write_bytes((40).to_bytes(8, "little") + b"{not json" * 8)
    with pytest.raises(FormatError, match="not valid JSON") as info:
        TransformerEncoder(folder)
    assert "\n" not in str(info.value)
    folder = _copy_checkpoint(tmp_path / "t", skip=("tokenizer.json",))
    (folder / "tokenizer.json").write_text("{]", encoding="utf-8")
    with pytest.raises(FormatError, match="tokenizer"):
        TransformerEncoder(folder)


@pytest.mark.parametrize("kwargs, match", [
    ({"pooling": "sum"}, "pooling"), ({"precision": "int4"}, "precision"),
    ({"max_length": 2}, "max_length"), ({"max_length": 1024}, "512 positions"),
    ({"stride": 300}, "stride"), ({"batch_size": 0}, "batch_size"),
    ({"workers": 0}, "workers"), ({"normalize": "yes"}, "normalize"),
])
def test_bad_options(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        TransformerEncoder(MINILM, **kwargs)


def test_bad_texts(encoder):
    with pytest.raises(ConfigError, match="one str"):
        encoder.encode("a text, not a list")
    with pytest.raises(ConfigError, match="text 1 is int"):
        encoder.encode(["ok", 3])


# --- the static side of the protocol -----------------------------------------------------

def test_static_encoder_is_mean_composition():
    from embedlayer.text import get_tokenizer
    from embedlayer.vectors import compose_many

    rng = np.random.default_rng(0)
    store = Vectors(["the", "cat", "sat", "dog"], rng.standard_normal((4, 8)).astype(np.float32))
    tok = get_tokenizer("regex", lowercase=True)
    enc = StaticEncoder(store, tok)
    texts = ["The cat sat", "dog", "unknown words only", ""]
    out = enc.encode(texts)
    ref = compose_many(store, [tok.tokenize(t) for t in texts], method="mean")
    np.testing.assert_allclose(out, ref, rtol=1e-6)
    assert enc.stats_.empty_documents == 2
    norm = StaticEncoder(store, tok, normalize=True).encode(texts)
    np.testing.assert_allclose(np.linalg.norm(norm[:2], axis=1), 1.0, rtol=1e-6)
    assert np.all(norm[2:] == 0)
    assert isinstance(enc, Encoder) and enc.identity()["kind"] == "static"
    with pytest.raises(ConfigError, match="fitted SIF"):
        StaticEncoder(store, tok, method="sif")


def test_static_encoder_sif_matches_sif_transform():
    from embedlayer.text import get_tokenizer
    from embedlayer.vectors import SIF

    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(30)]
    store = Vectors(words, rng.standard_normal((30, 6)).astype(np.float32))
    docs = [" ".join(rng.choice(words, 6)) for _ in range(40)]
    tok = get_tokenizer("whitespace")
    sif = SIF(store).fit([tok.tokenize(d) for d in docs])
    out = StaticEncoder(store, tok, method="sif", sif=sif).encode(docs[:5])
    np.testing.assert_allclose(out, sif.transform([tok.tokenize(d) for d in docs[:5]]),
                               rtol=1e-6)


def test_checkpoint_that_is_a_file(tmp_path):
    f = tmp_path / "model.safetensors"
    shutil.copy(Path(__file__), f)
    with pytest.raises(ConfigError, match="is a file"):
        open_checkpoint(f)
