"""The standard embedding model: checked against upstream, the same vectors through ONNX as
through sentence-transformers, and a change of model re-embeds what a data directory holds."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from core.settings import Settings
from knowledge_base.embedder import MINILM, MPNET, load_embedder
from tests.helpers import ADMIN, ADMIN_HEADERS, ROOT

pytestmark = pytest.mark.model


def setup_script():
    loader = importlib.machinery.SourceFileLoader(
        "embedding_model", str(ROOT / "scripts" / "embedding-model")
    )
    spec = importlib.util.spec_from_loader("embedding_model", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_set_up_model_matches_the_upstream_revision_and_a_changed_file_is_caught(tmp_path) -> None:
    script = setup_script()
    assert script.mismatch(MPNET.folder) is None
    copy = tmp_path / MPNET.name
    shutil.copytree(MPNET.folder, copy, ignore=shutil.ignore_patterns("*.safetensors", "onnx"))
    (copy / "model.safetensors").symlink_to(MPNET.folder / "model.safetensors")
    assert script.mismatch(copy) is None
    config = json.loads((copy / "config.json").read_text())
    config["hidden_size"] = 384
    (copy / "config.json").write_text(json.dumps(config))
    assert script.mismatch(copy) == "config.json"


@pytest.mark.engine_independent
def test_onnx_vectors_are_sentence_transformers_vectors(real_embedder) -> None:
    from sentence_transformers import SentenceTransformer

    texts = [
        "I left my debit card on the bus",
        "what's the weather in paris tomorrow",
        "a much longer question about sending money abroad to my sister, who banks in Spain, "
        "and how long the transfer will take",
    ]
    reference = SentenceTransformer(str(MPNET.folder), device="cpu").encode(
        texts, normalize_embeddings=True
    )
    got = real_embedder.encode(texts)
    assert got.shape == reference.shape
    assert np.min(np.sum(got * reference, axis=1)) > 0.9999
    alone = np.vstack([real_embedder.encode([t]) for t in texts])  # batching pads; same result
    assert np.min(np.sum(got * alone, axis=1)) > 0.9999


def test_changing_the_model_re_embeds_a_data_directory(tmp_path, real_embedder) -> None:
    articles = (ROOT / "data" / "kb" / "articles.jsonl").read_bytes()
    admin = ADMIN_HEADERS
    settings = Settings(data_dir=tmp_path, admin_token=ADMIN, rasa_url="")
    with TestClient(create_app(settings, embedder=load_embedder(MINILM))) as client:
        assert client.post("/api/kb/import", content=articles, headers=admin).status_code == 200
        before = client.post("/api/kb/search", json={"query": "I lost my card", "limit": 3})
        gaps = client.app.state.services.kb.gaps  # type: ignore[attr-defined]
        for n, question in enumerate(["can I pay by cheque", "do you take cheques", "pizza"]):
            gaps.record(question, conversation_id=f"c{n}", reason="no_answer")
    assert before.json()["results"][0]["article_id"] == "report-lost-stolen-card"

    with TestClient(create_app(settings, embedder=real_embedder)) as client:
        found = client.post("/api/kb/search", json={"query": "I lost my card", "limit": 3}).json()
        clusters = client.get("/api/kb/gaps", headers=admin).json()
    assert found["results"][0]["article_id"] == "report-lost-stolen-card"
    assert found["decision"] in ("answer", "clarify")  # first among choices when not sure
    cheques = [c for c in clusters if "do you take cheques" in str(c)]
    assert len(cheques) == 1 and cheques[0]["count"] == 2  # clustered with the new vectors
