"""The instructor's tools over a whole course: the batch (`make grade`), the gradebook, the report, written scores, uploads, similarity and PDFs."""
