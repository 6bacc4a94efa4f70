"""read_embedding_layer: the four layouts from tiny random checkpoints, bad checkpoints, memory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from embedlayer.contextual import EmbeddingTables, read_embedding_layer
from embedlayer.contextual.layer import tokenizer_vocabulary
from embedlayer.errors import FormatError, MissingFileError
from embedlayer.vectors.io._safetensors import header_bytes

from . import _checkpoints as ck


def _np(param) -> np.ndarray:
    return param.detach().numpy()


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("checkpoints")
    return {
        "bert": (root / "bert", ck.bert(root / "bert")),
        "gpt2": (root / "gpt2", ck.gpt2(root / "gpt2")),
        "llama-tied": (root / "llama-tied", ck.llama(root / "llama-tied", tied=True)),
        "llama-untied": (root / "llama-untied", ck.llama(root / "llama-untied", tied=False)),
        "t5": (root / "t5", ck.t5(root / "t5")),
    }


def test_bert_layout_tables_equal_the_model_parameters(folders):
    path, model = folders["bert"]
    tables = read_embedding_layer(path)
    emb = model.embeddings
    assert (tables.layout, tables.position_kind, tables.tied) == ("bert", "learned", None)
    assert tables.tokens.keys == ck.VOCAB and tables.unnamed_rows == ()
    np.testing.assert_array_equal(tables.tokens.matrix, _np(emb.word_embeddings.weight))
    np.testing.assert_array_equal(tables.positions, _np(emb.position_embeddings.weight))
    np.testing.assert_array_equal(tables.types, _np(emb.token_type_embeddings.weight))
    np.testing.assert_array_equal(tables.layer_norm[0], _np(emb.LayerNorm.weight))
    np.testing.assert_array_equal(tables.layer_norm[1], _np(emb.LayerNorm.bias))
    assert tables.output is None and tables.rope_theta is None
    np.testing.assert_array_equal(tables.tokens["king"], tables.tokens.matrix[ck.VOCAB.index("king")])


def test_gpt2_layout_keys_rows_the_tokenizer_does_not_name(folders):
    path, model = folders["gpt2"]
    tables = read_embedding_layer(path)
    assert (tables.layout, tables.position_kind, tables.tied) == ("gpt2", "learned", True)
    np.testing.assert_array_equal(tables.tokens.matrix, _np(model.transformer.wte.weight))
    np.testing.assert_array_equal(tables.positions, _np(model.transformer.wpe.weight))
    assert tables.types is None and tables.layer_norm is None and tables.output is None
    # 48 rows, 38 tokens: rows 38..47 are keyed <row:ID> and listed
    assert len(tables.tokens) == 48
    assert tables.unnamed_rows == tuple(range(38, 48))
    assert tables.tokens.keys[38:40] == ["<row:38>", "<row:39>"]
    assert tables.tokens.keys[:38] == ck.VOCAB


@pytest.mark.parametrize("tied", [True, False])
def test_llama_layout_tied_and_untied(folders, tied):
    path, model = folders["llama-tied" if tied else "llama-untied"]
    tables = read_embedding_layer(path)
    assert (tables.layout, tables.position_kind, tables.tied) == ("llama", "rotary", tied)
    assert tables.positions is None and tables.rope_theta == 5000.0
    np.testing.assert_array_equal(tables.tokens.matrix, _np(model.model.embed_tokens.weight))
    if tied:
        assert tables.output is None
    else:
        np.testing.assert_array_equal(tables.output, _np(model.lm_head.weight))
        assert not np.array_equal(tables.output, tables.tokens.matrix)
        assert tables.tensors["output"] == "lm_head.weight"


def test_t5_layout_shared_table(folders):
    path, model = folders["t5"]
    tables = read_embedding_layer(path)
    assert (tables.layout, tables.position_kind, tables.tied) == ("t5", "relative", True)
    np.testing.assert_array_equal(tables.tokens.matrix, _np(model.shared.weight))
    np.testing.assert_array_equal(tables.tokens.matrix, _np(model.encoder.embed_tokens.weight))
    assert tables.positions is None and tables.types is None


def test_embedding_layer_from_tables_looks_up_like_the_model(folders):
    from embedlayer.nn import EmbeddingLayer

    path, model = folders["bert"]
    layer = EmbeddingLayer.from_tables(read_embedding_layer(path), freeze=True)
    ids = torch.tensor([[2, 10, 11, 3, 0]])
    with torch.no_grad():
        expected = model.embeddings.word_embeddings(ids)
    assert torch.equal(layer(ids), expected)  # the [PAD] row too: not zeroed
    assert not layer.weight.requires_grad and layer.coverage.found == len(ck.VOCAB)


def _write_safetensors(path: Path, arrays: dict[str, tuple[str, np.ndarray]]) -> None:
    head = header_bytes({k: (dt, a.shape) for k, (dt, a) in arrays.items()}, {})
    with open(path, "wb") as fh:
        fh.write(head)
        for _, a in arrays.values():
            fh.write(np.ascontiguousarray(a).tobytes())


def _folder(tmp_path: Path, arrays, config=None) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    _write_safetensors(tmp_path / "model.safetensors", arrays)
    (tmp_path / "config.json").write_text(json.dumps(config or {"model_type": "bert"}))
    ck.write_tokenizer(tmp_path)
    return tmp_path


def test_f16_and_bf16_tables_are_converted_to_float32(tmp_path):
    values = np.array([[1.5, -2.0, 0.15625, 0.0]] * len(ck.VOCAB), dtype=np.float32)
    bf16 = (values.view(np.uint32) >> 16).astype(np.uint16)  # exact: these need no rounding
    folder = _folder(tmp_path, {
        "embeddings.word_embeddings.weight": ("BF16", bf16),
        "embeddings.position_embeddings.weight": ("F16", values[:6].astype(np.float16)),
    })
    tables = read_embedding_layer(folder)
    assert tables.tokens.matrix.dtype == np.float32
    np.testing.assert_array_equal(tables.tokens.matrix, values)
    np.testing.assert_array_equal(tables.positions, values[:6])
    assert tables.types is None and tables.layer_norm is None


def test_a_checkpoint_with_no_known_layout_gets_one_line_naming_its_tensors(tmp_path):
    folder = _folder(tmp_path, {"encoder.proj.weight": ("F32", np.zeros((4, 4), np.float32)),
                                "head.bias": ("F32", np.zeros(4, np.float32))})
    with pytest.raises(FormatError) as info:
        read_embedding_layer(folder)
    message = str(info.value)
    assert "\n" not in message
    assert "encoder.proj.weight" in message and "head.bias" in message
    assert "embeddings.word_embeddings.weight" in message and "wte.weight" in message


def test_a_corrupt_safetensors_header_is_a_one_line_format_error(folders, tmp_path):
    folder = tmp_path / "bert"
    shutil.copytree(folders["bert"][0], folder)
    weights = folder / "model.safetensors"
    with open(weights, "r+b") as fh:
        fh.seek(8)
        fh.write(b"{not json")
    with pytest.raises(FormatError) as info:
        read_embedding_layer(folder)
    assert "\n" not in str(info.value) and "model.safetensors" in str(info.value)
    with open(weights, "r+b") as fh:  # a length beyond the file
        fh.write((10**12).to_bytes(8, "little"))
    with pytest.raises(FormatError, match="header length"):
        read_embedding_layer(folder)


def test_a_folder_without_tokenizer_json_is_a_missing_file_error(folders, tmp_path):
    folder = tmp_path / "bert"
    shutil.copytree(folders["bert"][0], folder)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(MissingFileError, match="tokenizer.json"):
        read_embedding_layer(folder)


def test_untied_config_without_an_output_table_is_refused(tmp_path):
    table = np.ones((len(ck.VOCAB), 4), np.float32)
    folder = _folder(tmp_path, {"model.embed_tokens.weight": ("F32", table)},
                     {"model_type": "llama", "architectures": ["LlamaForCausalLM"],
                      "tie_word_embeddings": False})
    with pytest.raises(FormatError, match="lm_head.weight"):
        read_embedding_layer(folder)


@pytest.mark.parametrize("stored", [True, False])
def test_without_tie_word_embeddings_in_the_config_the_file_decides(tmp_path, stored):
    table = np.arange(len(ck.VOCAB) * 4, dtype=np.float32).reshape(-1, 4)
    arrays = {"model.embed_tokens.weight": ("F32", table)}
    if stored:
        arrays["lm_head.weight"] = ("F32", -table)
    tables = read_embedding_layer(_folder(tmp_path, arrays, {
        "model_type": "gemma", "architectures": ["GemmaForCausalLM"]}))
    assert tables.layout == "llama" and tables.tied is (not stored)
    if stored:
        np.testing.assert_array_equal(tables.output, -table)
    else:
        assert tables.output is None


def test_repeated_and_missing_token_strings_get_row_keys(tmp_path):
    doc = {"model": {"type": "WordLevel", "vocab": {"a": 0, "b": 1, "c": 4}},
           "added_tokens": [{"id": 2, "content": "a"}, {"id": 9, "content": "<x>"}]}
    (tmp_path / "tokenizer.json").write_text(json.dumps(doc))
    ids = tokenizer_vocabulary(tmp_path / "tokenizer.json")
    assert ids == {0: "a", 1: "b", 2: "a", 4: "c", 9: "<x>"}
    from embedlayer.contextual.layer import _row_keys

    keys, unnamed, beyond = _row_keys(ids, 5)
    assert keys == ["a", "b", "<row:2>", "<row:3>", "c"]
    assert unnamed == (2, 3) and beyond == 1  # id 9 has no row in a 5-row table


def test_unigram_vocabulary_ids_are_list_positions(tmp_path):
    doc = {"model": {"type": "Unigram", "vocab": [["<unk>", 0.0], ["▁the", -1.5], ["s", -2.0]]}}
    (tmp_path / "tokenizer.json").write_text(json.dumps(doc))
    assert tokenizer_vocabulary(tmp_path / "tokenizer.json") == {0: "<unk>", 1: "▁the", 2: "s"}
    (tmp_path / "tokenizer.json").write_text('{"model": {}}')
    with pytest.raises(FormatError, match="tokenizer.json"):
        tokenizer_vocabulary(tmp_path / "tokenizer.json")


def test_minilm_embedding_layer():
    tables = read_embedding_layer("minilm")
    assert isinstance(tables, EmbeddingTables)
    assert tables.layout == "bert" and tables.name == "all-MiniLM-L6-v2"
    assert tables.tokens.matrix.shape == (30522, 384)
    assert tables.positions.shape == (512, 384) and tables.types.shape == (2, 384)
    assert tables.layer_norm[0].shape == (384,) and tables.tied is None
    assert tables.tokens.keys[:2] == ["[PAD]", "[unused0]"] and tables.unnamed_rows == ()
    assert tables.tokens.vocab.get("[CLS]") == 101  # the tokenizer's own id


_RSS_CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    from embedlayer.contextual.layer import read_embedding_layer

    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    before = hwm()
    tables = read_embedding_layer(sys.argv[1])
    # touch every byte of every table, so mapped pages count too
    total = float(tables.tokens.matrix.sum(dtype=np.float64)
                  + tables.positions.sum(dtype=np.float64))
    print(json.dumps({"before": before, "after": hwm(), "tables": tables.nbytes,
                      "sum": total}))
""")


def test_reading_the_layer_costs_about_the_tables_not_the_file(tmp_path):
    if not Path("/proc/self/status").is_file():
        pytest.skip("needs /proc (Linux) to read the peak RSS")
    vocab = [f"w{i}" for i in range(20_000)]
    dim = 256  # 20.5 MB of token table
    other = (10_000, 10_000)  # 400 MB of other weights, between the two tables
    rng = np.random.default_rng(0)
    tokens = rng.standard_normal((len(vocab), dim), dtype=np.float32)
    positions = rng.standard_normal((512, dim), dtype=np.float32)
    head = header_bytes({"bert.embeddings.word_embeddings.weight": ("F32", tokens.shape),
                         "bert.encoder.big.weight": ("F32", other),
                         "bert.embeddings.position_embeddings.weight": ("F32", positions.shape)},
                        {})
    weights = tmp_path / "model.safetensors"
    with open(weights, "wb") as fh:  # the big tensor is a hole: fast to write, sparse on disk
        fh.write(head)
        fh.write(tokens.tobytes())
        fh.seek(other[0] * other[1] * 4, 1)
        fh.write(positions.tobytes())
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    ck.write_tokenizer(tmp_path, vocab)
    proc = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(tmp_path)], capture_output=True,
                          text=True, check=True)
    out = json.loads(proc.stdout)
    grew = out["after"] - out["before"]
    assert out["tables"] == tokens.nbytes + positions.nbytes
    assert out["sum"] == pytest.approx(float(tokens.sum(dtype=np.float64)
                                             + positions.sum(dtype=np.float64)), rel=1e-9)
    print(f"peak RSS grew {grew:,} B for {out['tables']:,} B of tables ({grew / out['tables']:.2f}x)")
    assert grew < 1.5 * out["tables"], (grew, out["tables"], weights.stat().st_size)
