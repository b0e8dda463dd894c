"""Tooling of the Batch Normalization assignment: build the handout, grade submissions."""
