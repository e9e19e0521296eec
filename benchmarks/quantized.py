"""The embedding model with part of its matrix products in int8, side by side with the model as
it ships: the time to embed one question, how far the vectors move, and with `--kb` the
knowledge search's figures on kb-dev and kb-dev-hwu through HTTP (as `make bench-kb`).

`.venv/bin/python -m benchmarks.quantized [--kb]`

ONNX Runtime's dynamic quantisation (int8 weights per channel, int8 activations per tensor), of
every matrix product or of a part: the feed-forward output layers are where the activations'
outliers are, and quantising them costs the most. Variants are written to a temporary folder
beside links to the shipped model's tokenizer and settings; nothing in models/ changes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic

from benchmarks.common import SHARED
from knowledge_base.embedder import ONNX_FILE, OnnxEmbedder, model_folder

QUESTIONS = SHARED / "data" / "kb-dev" / "queries.jsonl"
KB_SETS = [SHARED / "data" / name for name in ("kb-dev", "kb-dev-hwu")]


def feed_forward(model: onnx.ModelProto) -> dict[str, list[str]]:
    """The matrix products of the model's feed-forward layers, in and out (MPNet's node names);
    the rest are attention's."""
    names = [n.name for n in model.graph.node if n.op_type in ("MatMul", "Gemm")]
    return {
        "feed-forward in": [n for n in names if "/intermediate/" in n],
        "feed-forward out": [n for n in names if "/output/dense" in n and "/attention/" not in n],
    }


def variants(shipped: Path, into: Path) -> dict[str, Path]:
    """Folders of the quantised variants: name -> folder."""
    source = shipped / ONNX_FILE
    parts = feed_forward(onnx.load(str(source), load_external_data=False))
    left_out = {
        "int8, all": [],
        "int8, all but feed-forward out": parts["feed-forward out"],
        "int8, attention only": parts["feed-forward in"] + parts["feed-forward out"],
    }
    out = {}
    for n, (name, excluded) in enumerate(left_out.items()):
        folder = into / f"variant-{n}"
        (folder / "onnx").mkdir(parents=True)
        for item in shipped.iterdir():
            if item.name != "onnx" and not item.name.startswith("."):
                (folder / item.name).symlink_to(item)
        quantize_dynamic(
            source,
            folder / ONNX_FILE,
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=excluded,
        )
        out[name] = folder
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kb", action="store_true", help="also kb-dev and kb-dev-hwu over HTTP")
    parser.add_argument("--questions", type=int, default=120)
    args = parser.parse_args()
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines[: args.questions]]
    shipped = model_folder(None)
    with tempfile.TemporaryDirectory(prefix="cascade-quantized-") as scratch:
        folders = {"as shipped (fp32)": shipped} | variants(shipped, Path(scratch))
        embedders = {name: OnnxEmbedder(folder) for name, folder in folders.items()}
        reference = embedders["as shipped (fp32)"].encode(texts)
        took: dict[str, list[float]] = {name: [] for name in embedders}
        for text in texts * 2:  # one question at a time, the variants taking turns
            for name, embedder in embedders.items():
                started = time.perf_counter()
                embedder.encode([text])
                took[name].append((time.perf_counter() - started) * 1000)
        print(f"{'model':<34} {'p50 ms':>7} {'cosine to fp32: min':>20} {'mean':>7}")
        for name, embedder in embedders.items():
            cosine = (embedder.encode(texts) * reference).sum(axis=1)
            print(
                f"{name:<34} {statistics.median(took[name]):>7.1f}"
                f" {float(np.min(cosine)):>20.4f} {float(np.mean(cosine)):>7.4f}",
                flush=True,
            )
        if args.kb:
            from benchmarks import kb_dev

            for name, folder in folders.items():
                print(f"\n{name}")
                os.environ["CASCADE_EMBEDDING_MODEL"] = "" if folder == shipped else str(folder)
                kb_dev.main(KB_SETS)


if __name__ == "__main__":
    main()
