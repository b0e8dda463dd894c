"""The reference's own closed form, unchanged."""

KIND = "honest"
SHOULD_PASS = True
