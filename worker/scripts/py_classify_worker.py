#!/usr/bin/env python3
"""A plain Python gRPC classify-intent worker: the memory yardstick for the Java worker (docs/benchmarks.md).

Same model (MiniLM int8 from the worker's Maven artifact), same tokenizer, same task (few-shot intents: an intent's
score is its best example's cosine, softmax over intents), same proto (fleet.slm.v1.InferenceService/Classify,
stubs generated at start with grpcio-tools), ONNX Runtime with one intra-op thread, two server threads. No queues,
limits, metrics or logs: what is left of a worker when everything but serving the model is taken away.

  python3 py_classify_worker.py PORT MODEL.onnx TOKENIZER.json INTENTS.json PROTO_DIR
Needs PyPI grpcio, grpcio-tools, onnxruntime, tokenizers, numpy. Listens on 127.0.0.1 only.
"""
import json
import os
import sys
import tempfile
from concurrent import futures

import grpc
import numpy as np
import onnxruntime as ort
from grpc_tools import protoc
from tokenizers import Tokenizer


def stubs(proto_dir):
    out = tempfile.mkdtemp(prefix="slm-py-stubs-")
    import grpc_tools

    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    files = [os.path.join("fleet/slm/v1", f) for f in ("common.proto", "worker.proto")]
    rc = protoc.main(["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}"]
                     + files)
    if rc != 0:
        raise SystemExit(f"protoc failed ({rc})")
    sys.path.insert(0, out)
    from fleet.slm.v1 import worker_pb2, worker_pb2_grpc  # noqa: E402

    return worker_pb2, worker_pb2_grpc


def main():
    port, model, tokenizer_json, intents_json, proto_dir = sys.argv[1:6]
    pb, rpc = stubs(proto_dir)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(tokenizer_json)
    tok.no_padding()
    tok.no_truncation()
    names = {i.name for i in session.get_inputs()}

    def embed(text):
        e = tok.encode(text)
        ids = np.array([e.ids], dtype=np.int64)
        mask = np.array([e.attention_mask], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feed)[0][0]
        m = mask[0][:, None].astype(np.float32)
        v = (hidden * m).sum(axis=0) / max(1.0, m.sum())
        return v / max(1e-12, np.linalg.norm(v))

    params = json.load(open(intents_json))
    intents = [(i["name"], np.stack([embed(x) for x in i["examples"]])) for i in params["intents"]]

    class Service(rpc.InferenceServiceServicer):
        def Classify(self, request, context):
            q = embed(request.text)
            sims = np.array([float((ex @ q).max()) for _, ex in intents])
            p = np.exp((sims - sims.max()) * 20)
            p /= p.sum()
            best = int(p.argmax())
            return pb.ClassifyResponse(intent=intents[best][0], confidence=float(p[best]))

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    rpc.add_InferenceServiceServicer_to_server(Service(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    print(f"serving on 127.0.0.1:{port}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
