"""Compressed vector stores: quantization, factorization and vocabulary pruning (layer L3)."""
