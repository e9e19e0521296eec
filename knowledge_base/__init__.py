"""Tier 1's knowledge: articles, their embeddings, a FAISS index and search by meaning."""
