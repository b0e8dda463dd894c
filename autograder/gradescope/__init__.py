"""Gradescope: the autograder zip (package) and its entry point in the container (run)."""
