"""The code that runs inside the sandbox, copied there as a folder.

The sandbox copies this whole folder beside the untrusted worker (`/sandbox/runtime`), where
`worker.py` runs as a script and imports `wire` and `timed_calls` as top-level modules. The
trusted judge imports the same two files from here (`from autograder.runtime import wire,
timed_calls`), so both sides speak one format and draw one round's inputs alike. Every file here
uses only the standard library and numpy, and imports nothing from autograder.
"""
