"""GGUF (llama architecture) -> ONNX decoder in the layout the worker's CausalLm loads, without torch.

Inputs: input_ids, attention_mask, position_ids [batch, seq] int64; past_key_values.N.key/value
[batch, kv_heads, past, head_dim] float. Outputs: logits [batch, 1, vocab] (the last position only: the decoder
never needs the others), present.N.key/value [batch, kv_heads, past + seq, head_dim].

The graph uses standard ONNX ops only (opset 17); ORT's optimizer fuses RMSNorm and friends itself. Weights come
from the GGUF with the gguf package (numpy): llama.cpp's converter permutes Q and K rows for its interleaved RoPE,
so they are permuted back here and RoPE is the half-split (HF) form.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class Llama:
    """Hyper-parameters and de-quantized weights of a llama-architecture GGUF."""

    def __init__(self, path):
        import gguf

        reader = gguf.GGUFReader(path)
        self.fields = {k: _field(f) for k, f in reader.fields.items()}
        arch = self.fields["general.architecture"]
        if arch != "llama":
            raise ValueError(f"general.architecture is {arch!r}; only llama is supported")
        meta = lambda k: self.fields[f"llama.{k}"]  # noqa: E731
        self.layers = int(meta("block_count"))
        self.hidden = int(meta("embedding_length"))
        self.ffn = int(meta("feed_forward_length"))
        self.heads = int(meta("attention.head_count"))
        self.kv_heads = int(meta("attention.head_count_kv"))
        self.eps = float(meta("attention.layer_norm_rms_epsilon"))
        self.rope_base = float(meta("rope.freq_base"))
        self.head_dim = self.hidden // self.heads
        self.context = int(meta("context_length"))
        self._tensors = {t.name: t for t in reader.tensors}
        self.vocab = int(self._tensors["token_embd.weight"].shape[1])
        self.tied = "output.weight" not in self._tensors
        self.tensor_types = sorted({t.tensor_type.name for t in reader.tensors})

    def weight(self, name):
        """A tensor as float32 in numpy (row-major) order: linear weights are [out, in]."""
        import gguf

        t = self._tensors[name]
        w = gguf.quants.dequantize(t.data, t.tensor_type)
        return np.ascontiguousarray(w.reshape([int(d) for d in reversed(t.shape)]), dtype=np.float32)

    def q_k(self, layer):
        q = _unpermute(self.weight(f"blk.{layer}.attn_q.weight"), self.heads)
        k = _unpermute(self.weight(f"blk.{layer}.attn_k.weight"), self.kv_heads)
        return q, k

    def q4_1(self, name, heads=None):
        """A Q4_1 linear weight as MatMulNBits parts, bit-exact: packed nibbles [out, blocks, 16], scales and float
        zero points [out * blocks] with d * q + m == scale * (q - zero_point); rows un-permuted for Q and K."""
        t = self._tensors[name]
        if t.tensor_type.name != "Q4_1":
            return None
        out, inp = int(t.shape[1]), int(t.shape[0])
        raw = np.asarray(t.data, dtype=np.uint8).reshape(out, inp // 32, 20)
        d = raw[..., 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
        mn = raw[..., 2:4].copy().view(np.float16)[..., 0].astype(np.float32)
        qs = raw[..., 4:20]
        # ggml: element j in the low nibble of byte j, element j + 16 in its high nibble.
        q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)
        if heads is not None:
            order = _unpermute(np.arange(out, dtype=np.int64)[:, None], heads)[:, 0]
            q, d, mn = q[order], d[order], mn[order]
        packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
        safe = np.where(d == 0, 1.0, d).astype(np.float32)
        return packed, d.reshape(-1), (-mn / safe).astype(np.float32).reshape(-1), inp, out

    def q8_0(self, name):
        """A Q8_0 tensor as int8 values [rows, cols] and fp32 scales [rows, cols / 32] (value = scale * q)."""
        t = self._tensors[name]
        if t.tensor_type.name != "Q8_0":
            return None
        rows, cols = int(t.shape[1]), int(t.shape[0])
        raw = np.asarray(t.data, dtype=np.uint8).reshape(rows, cols // 32, 34)
        d = raw[..., 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
        q = raw[..., 2:34].copy().view(np.int8).reshape(rows, cols)
        return q, d

    def embedding(self):
        return self.weight("token_embd.weight")

    def lm_head(self):
        return self.embedding() if self.tied else self.weight("output.weight")


def _field(f):
    try:
        return f.contents()
    except Exception:  # noqa: BLE001 - older gguf versions: keep the raw parts
        return None


def _unpermute(w, heads):
    """Inverse of llama.cpp's permute(w, n_head): rows of each head back from interleaved to half-split order."""
    out, inp = w.shape
    return w.reshape(heads, out // heads // 2, 2, inp).swapaxes(1, 2).reshape(out, inp)


def rope_tables(m, length):
    inv = 1.0 / (m.rope_base ** (np.arange(0, m.head_dim, 2, dtype=np.float64) / m.head_dim))
    ang = np.outer(np.arange(length, dtype=np.float64), inv)
    ang = np.concatenate([ang, ang], axis=1)
    return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)


class _Graph:
    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, hint, array):
        n = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), n))
        return n

    def op(self, op_type, inputs, hint=None, outputs=None, **attrs):
        outs = outputs or [self.name(hint or op_type.lower())]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name(op_type), **attrs))
        return outs[0] if len(outs) == 1 else outs


def build(m, progress=lambda msg: None, max_positions=None, exact_q4=True, accuracy_level=4):
    """The decoder graph as an onnx.ModelProto. With exact_q4 the GGUF's Q4_1 linear weights become MatMulNBits
    nodes bit for bit (no second quantization); otherwise every linear is an fp32 MatMul."""
    g = _Graph()
    positions = min(m.context, max_positions or m.context)
    i64 = lambda *v: g.const("c", np.array(v, dtype=np.int64))  # noqa: E731
    f32 = lambda v: g.const("c", np.array(v, dtype=np.float32))  # noqa: E731
    # Token embedding rows: the GGUF's Q8_0 blocks as they are (int8 values, one scale per 32), else fp32.
    q8 = m.q8_0("token_embd.weight") if exact_q4 else None
    if q8 is not None:
        values, block_scales = q8
        rows = g.op("Cast", [g.op("Gather", [g.const("embed_q8", values), "input_ids"])], to=TensorProto.FLOAT)
        rows = g.op("Reshape", [rows, i64(0, 0, -1, 32)])
        scales = g.op("Unsqueeze", [g.op("Gather", [g.const("embed_scale", block_scales), "input_ids"]), i64(-1)])
        x = g.op("Reshape", [g.op("Mul", [rows, scales]), i64(0, 0, m.hidden)], "embed")
    else:
        x = g.op("Gather", [g.const("embed", m.embedding()), "input_ids"], "embed")

    cos, sin = rope_tables(m, positions)
    cos_t = g.op("Unsqueeze", [g.op("Gather", [g.const("rope_cos", cos), "position_ids"]), i64(1)], "cos")
    sin_t = g.op("Unsqueeze", [g.op("Gather", [g.const("rope_sin", sin), "position_ids"]), i64(1)], "sin")

    # Additive mask [batch, 1, 1, seq, total]: causal (key position <= query position) and padding.
    total = g.op("Shape", ["attention_mask"], start=1, end=2)
    seq = g.op("Shape", ["input_ids"], start=1, end=2)
    past = g.op("Sub", [total, seq])
    key_pos = g.op("Range", [i64(0), g.op("Squeeze", [total, i64(0)]), i64(1)])
    key_pos = g.op("Reshape", [key_pos, i64(1, -1)])
    query_pos = g.op("Range", [g.op("Squeeze", [past, i64(0)]), g.op("Squeeze", [total, i64(0)]), i64(1)])
    query_pos = g.op("Reshape", [query_pos, i64(-1, 1)])
    future = g.op("Greater", [key_pos, query_pos])
    padded = g.op("Equal", ["attention_mask", i64(0)])
    padded = g.op("Unsqueeze", [padded, i64(1, 2, 3)])
    blocked = g.op("Or", [g.op("Unsqueeze", [future, i64(0, 1, 2)]), padded])
    neg = np.finfo(np.float32).min / 2
    mask = g.op("Where", [blocked, f32(neg), f32(0.0)], "mask")

    group = m.heads // m.kv_heads
    half = m.head_dim // 2
    scale = f32(1.0 / np.sqrt(m.head_dim))

    def rms(v, weight):
        var = g.op("ReduceMean", [g.op("Mul", [v, v])], keepdims=1, axes=[-1])
        inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [var, f32(m.eps)])])])
        return g.op("Mul", [g.op("Mul", [v, inv]), g.const("norm", weight)])

    def linear(v, name, hint, heads=None):
        q4 = m.q4_1(name, heads) if exact_q4 else None
        if q4 is None:
            w = m.weight(name)
            w = _unpermute(w, heads) if heads is not None else w
            return g.op("MatMul", [v, g.const(hint, np.ascontiguousarray(w.T))], hint)
        packed, scales, zeros, k, n = q4
        parts = [g.const(hint + "_q4", packed), g.const(hint + "_scale", scales), g.const(hint + "_zp", zeros)]
        return g.op(
            "MatMulNBits", [v] + parts, hint, domain="com.microsoft", K=k, N=n, bits=4, block_size=32,
            accuracy_level=accuracy_level,
        )

    def rotate(v):  # v [b, h, s, d]
        first = g.op("Slice", [v, i64(0), i64(half), i64(-1)])
        second = g.op("Slice", [v, i64(half), i64(m.head_dim), i64(-1)])
        rotated = g.op("Concat", [g.op("Neg", [second]), first], axis=-1)
        return g.op("Add", [g.op("Mul", [v, cos_t]), g.op("Mul", [rotated, sin_t])])

    def heads(v, n):  # [b, s, n*d] -> [b, n, s, d]
        return g.op("Transpose", [g.op("Reshape", [v, i64(0, 0, n, m.head_dim)])], perm=[0, 2, 1, 3])

    for layer in range(m.layers):
        progress(f"layer {layer + 1}/{m.layers}")
        p = f"blk.{layer}."
        h = rms(x, m.weight(p + "attn_norm.weight"))
        q = rotate(heads(linear(h, p + "attn_q.weight", f"l{layer}_q", m.heads), m.heads))
        k = rotate(heads(linear(h, p + "attn_k.weight", f"l{layer}_k", m.kv_heads), m.kv_heads))
        v = heads(linear(h, p + "attn_v.weight", f"l{layer}_v"), m.kv_heads)
        k_all = g.op("Concat", [f"past_key_values.{layer}.key", k], outputs=[f"present.{layer}.key"], axis=2)
        v_all = g.op("Concat", [f"past_key_values.{layer}.value", v], outputs=[f"present.{layer}.value"], axis=2)
        # Grouped-query attention by broadcasting: q [b, kv, group, s, d] x k [b, kv, 1, d, t].
        q5 = g.op("Reshape", [q, i64(0, m.kv_heads, group, -1, m.head_dim)])
        k5 = g.op("Unsqueeze", [g.op("Transpose", [k_all], perm=[0, 1, 3, 2]), i64(2)])
        v5 = g.op("Unsqueeze", [v_all, i64(2)])
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q5, k5]), scale]), mask])
        attn = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v5])
        attn = g.op("Reshape", [attn, i64(0, m.heads, -1, m.head_dim)])
        attn = g.op("Reshape", [g.op("Transpose", [attn], perm=[0, 2, 1, 3]), i64(0, 0, m.hidden)])
        x = g.op("Add", [x, linear(attn, p + "attn_output.weight", f"l{layer}_o")])
        h = rms(x, m.weight(p + "ffn_norm.weight"))
        gate = linear(h, p + "ffn_gate.weight", f"l{layer}_gate")
        up = linear(h, p + "ffn_up.weight", f"l{layer}_up")
        act = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up])
        x = g.op("Add", [x, linear(act, p + "ffn_down.weight", f"l{layer}_down")])

    last = g.op("Slice", [x, i64(-1), i64(np.iinfo(np.int64).max), i64(1)])
    h = rms(last, m.weight("output_norm.weight"))
    if q8 is not None and m.tied:
        # The tied head reuses the Q8_0 blocks as an 8-bit MatMulNBits (uint8 = int8 + 128, zero point 128).
        values, block_scales = q8
        parts = [
            g.const("lm_head_q8", (values.astype(np.int16) + 128).astype(np.uint8).reshape(m.vocab, -1, 32)),
            g.const("lm_head_scale", block_scales.reshape(-1)),
            g.const("lm_head_zp", np.full(block_scales.size, 128, dtype=np.uint8)),
        ]
        g.op(
            "MatMulNBits", [h] + parts, outputs=["logits"], domain="com.microsoft", K=m.hidden, N=m.vocab, bits=8,
            block_size=32, accuracy_level=accuracy_level,
        )
    else:
        g.op("MatMul", [h, g.const("lm_head", np.ascontiguousarray(m.lm_head().T))], outputs=["logits"])

    ids = lambda n: helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])  # noqa: E731
    inputs = [ids("input_ids"), helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "total"])]
    inputs.append(ids("position_ids"))
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1, m.vocab])]
    kv = lambda n, t: helper.make_tensor_value_info(  # noqa: E731
        n, TensorProto.FLOAT, ["batch", m.kv_heads, t, m.head_dim]
    )
    for layer in range(m.layers):
        for part in ("key", "value"):
            inputs.append(kv(f"past_key_values.{layer}.{part}", "past"))
            outputs.append(kv(f"present.{layer}.{part}", "total"))
    graph = helper.make_graph(g.nodes, "llama_decoder", inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)], producer_name="slm-fleet")
    model.ir_version = 8
    return model


def numpy_forward(m, ids):
    """Reference logits [seq, vocab] of a plain numpy forward over the GGUF weights (no cache)."""
    x = m.embedding()[ids]
    n = len(ids)
    cos, sin = rope_tables(m, n)

    def rms(v, w):
        return v / np.sqrt((v * v).mean(-1, keepdims=True) + m.eps) * w

    def rope(v):  # [h, s, d]
        half = m.head_dim // 2
        rotated = np.concatenate([-v[..., half:], v[..., :half]], axis=-1)
        return v * cos + rotated * sin

    causal = np.triu(np.full((n, n), -np.inf, dtype=np.float32), 1)
    group = m.heads // m.kv_heads
    for layer in range(m.layers):
        p = f"blk.{layer}."
        h = rms(x, m.weight(p + "attn_norm.weight"))
        wq, wk = m.q_k(layer)
        q = rope((h @ wq.T).reshape(n, m.heads, m.head_dim).transpose(1, 0, 2))
        k = rope((h @ wk.T).reshape(n, m.kv_heads, m.head_dim).transpose(1, 0, 2))
        v = (h @ m.weight(p + "attn_v.weight").T).reshape(n, m.kv_heads, m.head_dim).transpose(1, 0, 2)
        k = np.repeat(k, group, axis=0)
        v = np.repeat(v, group, axis=0)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(m.head_dim) + causal
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        a = (s @ v).transpose(1, 0, 2).reshape(n, m.hidden)
        x = x + a @ m.weight(p + "attn_output.weight").T
        h = rms(x, m.weight(p + "ffn_norm.weight"))
        gate = h @ m.weight(p + "ffn_gate.weight").T
        up = h @ m.weight(p + "ffn_up.weight").T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ m.weight(p + "ffn_down.weight").T
    return rms(x, m.weight("output_norm.weight")) @ m.lm_head().T


def save(model, path):
    onnx.save_model(model, path, save_as_external_data=False)


def tokenizer_json(m):
    """The model's HF tokenizer.json from the GGUF vocabulary, matching SmolLM2's own tokenizer: byte-level BPE,
    digits split one by one before the byte-level split, no BOS added, control tokens as special added tokens."""
    tokens = m.fields["tokenizer.ggml.tokens"]
    types = m.fields["tokenizer.ggml.token_type"]
    merges = m.fields["tokenizer.ggml.merges"]
    if m.fields.get("tokenizer.ggml.model") != "gpt2":
        raise ValueError("only byte-level BPE (tokenizer.ggml.model = gpt2) GGUF vocabularies are supported")
    control = [i for i, t in enumerate(types) if t == 3]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": i,
                "content": tokens[i],
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for i in control
        ],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Digits", "individual_digits": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            ],
        },
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {t: i for i, t in enumerate(tokens)},
            "merges": list(merges),
        },
    }


def tokenizer_config(m):
    tokens = m.fields["tokenizer.ggml.tokens"]
    eos = int(m.fields["tokenizer.ggml.eos_token_id"])
    return {
        "add_bos_token": False,
        "add_eos_token": False,
        "bos_token": None,
        "eos_token": tokens[eos],
        "eos_token_id": eos,
        "pad_token": tokens[int(m.fields.get("tokenizer.ggml.padding_token_id", eos))],
        "model_max_length": m.context,
        "chat_template": m.fields["tokenizer.chat_template"],
        "tokenizer_class": "GPT2Tokenizer",
    }
