#!/usr/bin/env python3
"""Builds the tiny ONNX models the worker's tests load through the real loading code.

Needs only the PyPI packages `onnx`, `numpy` and `tokenizers` (no torch). The graphs are written
directly with onnx.helper, so every file is deterministic and small (< 1 MB each):

  tiny-lm.onnx + tiny-lm-tokenizer.json
      A one-layer causal LM in the common export layout (input_ids, attention_mask, position_ids,
      past_key_values.0.key/value -> logits, present.0.key/value), word-level vocabulary.
      Its bigram path makes greedy decoding count: "one two" -> "three four ... twenty </s>";
      a real attention block (random weights) rides on top, so a wrong KV cache changes the logits.
  intent-head.onnx
      A classification head (input_ids, attention_mask -> logits[batch, labels]) over the MiniLM
      WordPiece vocabulary: bag of words, labels order_status, cancel_order, greeting.
  slot-bio.onnx
      A token-classification model (input_ids, attention_mask -> logits[batch, seq, tags]) over the
      MiniLM vocabulary, tags O, B-product, I-product.

Usage: make_test_models.py MINILM_TOKENIZER_JSON OUT_DIR
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
           "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
           "nineteen", "twenty"]
SPECIALS = ["<unk>", "<s>", "</s>", "<pad>"]
OTHER = ["count", "hello", "world", "please", ":", ",", "."]


def tiny_lm_vocab():
    return SPECIALS + NUMBERS + OTHER


def write_tiny_tokenizer(path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    vocab = {w: i for i, w in enumerate(tiny_lm_vocab())}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins word-level tokens with spaces
    tok.add_special_tokens(SPECIALS)
    tok.save(str(path))


def tiny_lm(path, seed=7):
    rng = np.random.default_rng(seed)
    vocab = tiny_lm_vocab()
    v = len(vocab)
    d, heads = v, 2
    dh = d // heads if d % heads == 0 else None
    assert dh is not None
    eos = vocab.index("</s>")
    # Bigram table: every number goes to the next one, "twenty" and everything else end the text;
    # non-number words go to "one" so "count :" starts counting.
    nxt = np.full(v, eos)
    for i, w in enumerate(vocab):
        if w in NUMBERS[:-1]:
            nxt[i] = vocab.index(NUMBERS[NUMBERS.index(w) + 1])
        elif w in OTHER:
            nxt[i] = vocab.index("one")
    emb = np.eye(v, d, dtype=np.float32)
    pos = (rng.standard_normal((64, d)) * 0.02).astype(np.float32)
    wq = (rng.standard_normal((d, d)) * 0.5).astype(np.float32)
    wk = (rng.standard_normal((d, d)) * 0.5).astype(np.float32)
    wv = (rng.standard_normal((d, d)) * 0.5).astype(np.float32)
    wo = (rng.standard_normal((d, d)) * 0.01).astype(np.float32)
    wout = np.zeros((d, v), dtype=np.float32)
    for i in range(v):
        wout[i, nxt[i]] = 10.0
    wout += (rng.standard_normal((d, v)) * 0.05).astype(np.float32)

    inits = [numpy_helper.from_array(a, n) for a, n in [
        (emb, "embed"), (pos, "pos_embed"), (wq, "wq"), (wk, "wk"), (wv, "wv"), (wo, "wo"), (wout, "lm_head"),
        (np.array([0, 0, heads, dh], dtype=np.int64), "split_shape"),
        (np.array([0, 0, d], dtype=np.int64), "merge_shape"),
        (np.array(1.0 / np.sqrt(dh), dtype=np.float32), "scale"),
        (np.array(-1e9, dtype=np.float32), "neg"),
        (np.array(0.0, dtype=np.float32), "zero_f"),
        (np.array(1, dtype=np.int64), "one_i"),
        (np.array([1, 2], dtype=np.int64), "axes12"),
        (np.array([1], dtype=np.int64), "axis1"),
        (np.array([-1], dtype=np.int64), "axis_last"),
    ]]
    n = []
    n.append(helper.make_node("Gather", ["embed", "input_ids"], ["tok_e"]))
    n.append(helper.make_node("Gather", ["pos_embed", "position_ids"], ["pos_e"]))
    n.append(helper.make_node("Add", ["tok_e", "pos_e"], ["h"]))
    for name, w in [("q", "wq"), ("k", "wk"), ("v", "wv")]:
        n.append(helper.make_node("MatMul", ["h", w], [f"{name}_flat"]))
        n.append(helper.make_node("Reshape", [f"{name}_flat", "split_shape"], [f"{name}_4d"]))
        n.append(helper.make_node("Transpose", [f"{name}_4d"], [f"{name}_h"], perm=[0, 2, 1, 3]))
    n.append(helper.make_node("Concat", ["past_key_values.0.key", "k_h"], ["present.0.key"], axis=2))
    n.append(helper.make_node("Concat", ["past_key_values.0.value", "v_h"], ["present.0.value"], axis=2))
    n.append(helper.make_node("Transpose", ["present.0.key"], ["k_t"], perm=[0, 1, 3, 2]))
    n.append(helper.make_node("MatMul", ["q_h", "k_t"], ["scores_raw"]))
    n.append(helper.make_node("Mul", ["scores_raw", "scale"], ["scores"]))
    # Causal + padding mask: key position (cumsum of the mask - 1) must not exceed the query's position.
    n.append(helper.make_node("CumSum", ["attention_mask", "one_i"], ["mask_cum"]))
    n.append(helper.make_node("Sub", ["mask_cum", "one_i"], ["key_pos"]))
    n.append(helper.make_node("Unsqueeze", ["key_pos", "axes12"], ["key_pos4"]))        # [B,1,1,T]
    n.append(helper.make_node("Unsqueeze", ["position_ids", "axis1"], ["q_pos3"]))     # [B,1,S]
    n.append(helper.make_node("Unsqueeze", ["q_pos3", "axis_last"], ["q_pos4"]))       # [B,1,S,1]
    n.append(helper.make_node("Greater", ["key_pos4", "q_pos4"], ["future"]))
    n.append(helper.make_node("Cast", ["attention_mask"], ["mask_b"], to=TensorProto.BOOL))
    n.append(helper.make_node("Not", ["mask_b"], ["padded"]))
    n.append(helper.make_node("Unsqueeze", ["padded", "axes12"], ["padded4"]))
    n.append(helper.make_node("Or", ["future", "padded4"], ["blocked"]))
    n.append(helper.make_node("Where", ["blocked", "neg", "zero_f"], ["bias"]))
    n.append(helper.make_node("Add", ["scores", "bias"], ["scores_masked"]))
    n.append(helper.make_node("Softmax", ["scores_masked"], ["probs"], axis=-1))
    n.append(helper.make_node("MatMul", ["probs", "present.0.value"], ["ctx_h"]))
    n.append(helper.make_node("Transpose", ["ctx_h"], ["ctx_t"], perm=[0, 2, 1, 3]))
    n.append(helper.make_node("Reshape", ["ctx_t", "merge_shape"], ["ctx"]))
    n.append(helper.make_node("MatMul", ["ctx", "wo"], ["attn_out"]))
    n.append(helper.make_node("Add", ["h", "attn_out"], ["h2"]))
    n.append(helper.make_node("MatMul", ["h2", "lm_head"], ["logits"]))

    i64, f32 = TensorProto.INT64, TensorProto.FLOAT
    inputs = [
        helper.make_tensor_value_info("input_ids", i64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", i64, ["batch_size", "total_sequence_length"]),
        helper.make_tensor_value_info("position_ids", i64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("past_key_values.0.key", f32, ["batch_size", heads, "past_sequence_length", dh]),
        helper.make_tensor_value_info("past_key_values.0.value", f32, ["batch_size", heads, "past_sequence_length", dh]),
    ]
    outputs = [
        helper.make_tensor_value_info("logits", f32, ["batch_size", "sequence_length", v]),
        helper.make_tensor_value_info("present.0.key", f32, ["batch_size", heads, "total_sequence_length", dh]),
        helper.make_tensor_value_info("present.0.value", f32, ["batch_size", heads, "total_sequence_length", dh]),
    ]
    graph = helper.make_graph(n, "tiny_causal_lm", inputs, outputs, inits)
    save(graph, path)


def bag_of_words_head(path, vocab, rows, labels, per_token):
    table = np.zeros((len(vocab), len(labels)), dtype=np.float32)
    table[:, 0] = 0.5 if per_token else 0.0  # per-token: "O" wins unless a word says otherwise
    for word, label, weight in rows:
        table[vocab[word], labels.index(label)] = weight
    inits = [numpy_helper.from_array(table, "table"),
             numpy_helper.from_array(np.array([-1], dtype=np.int64), "axis_last"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")]
    n = [helper.make_node("Gather", ["table", "input_ids"], ["tok_logits"]),           # [B,S,L]
         helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
         helper.make_node("Unsqueeze", ["mask_f", "axis_last"], ["mask3"]),
         helper.make_node("Mul", ["tok_logits", "mask3"], ["masked"])]
    i64, f32 = TensorProto.INT64, TensorProto.FLOAT
    if per_token:
        n.append(helper.make_node("Identity", ["masked"], ["logits"]))
        out_shape = ["batch_size", "sequence_length", len(labels)]
    else:
        n.append(helper.make_node("ReduceSum", ["masked", "axis1"], ["logits"], keepdims=0))
        out_shape = ["batch_size", len(labels)]
    inputs = [helper.make_tensor_value_info("input_ids", i64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", i64, ["batch_size", "sequence_length"])]
    outputs = [helper.make_tensor_value_info("logits", f32, out_shape)]
    save(helper.make_graph(n, Path(path).stem.replace("-", "_"), inputs, outputs, inits), path)


def save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="slm-fleet-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    print(f"wrote {path} ({Path(path).stat().st_size} bytes)")


def main():
    minilm_tokenizer, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    vocab = json.loads(minilm_tokenizer.read_text())["model"]["vocab"]
    write_tiny_tokenizer(out / "tiny-lm-tokenizer.json")
    tiny_lm(out / "tiny-lm.onnx")
    intent_labels = ["order_status", "cancel_order", "greeting"]
    bag_of_words_head(out / "intent-head.onnx", vocab, [
        ("order", "order_status", 1.5), ("where", "order_status", 1.0), ("package", "order_status", 2.0),
        ("cancel", "cancel_order", 3.0), ("stop", "cancel_order", 1.0),
        ("hello", "greeting", 3.0), ("hi", "greeting", 3.0)], intent_labels, per_token=False)
    bag_of_words_head(out / "slot-bio.onnx", vocab, [
        ("laptop", "B-product", 2.0), ("phone", "B-product", 2.0), ("tablet", "B-product", 2.0),
        ("case", "I-product", 2.0), ("cover", "I-product", 2.0)], ["O", "B-product", "I-product"], per_token=True)


if __name__ == "__main__":
    main()
