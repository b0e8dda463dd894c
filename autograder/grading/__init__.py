"""Grading one submission: take what grading needs out of it, judge it in the sandbox, and write its grade, feedback and results."""
