"""The wire format between the judge and a worker: JSON lines with arrays as base64 `.npy`.

Only plain data crosses: None, bool, int, float, str, lists, tuples, string-keyed dicts, numpy
arrays of numeric or boolean dtype (decoded with `allow_pickle=False`) and numpy scalars. Anything
else a worker holds (a cache, a model) crosses as an opaque handle: `{"__handle__": id}`.

This file is imported by the trusted judge and copied beside the untrusted worker; it uses only the
standard library and numpy.
"""

from __future__ import annotations

import base64
import io
import json
import math

import numpy as np

# Dtype kinds a judge accepts: bool, signed/unsigned int, float, complex.
PLAIN_KINDS = "biufc"


class WireError(ValueError):
    """A message that is not plain data in this format."""


def array_to_text(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def array_from_text(text: str) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    except Exception as error:  # any malformed payload is the sender's fault
        raise WireError(f"not a plain .npy array: {error}") from None
    if type(array) is not np.ndarray or array.dtype.kind not in PLAIN_KINDS:
        raise WireError(f"array of dtype {array.dtype} is not plain numeric data")
    return array


def encode(value, keep=None):
    """Encode `value` as JSON-ready data; `keep(obj) -> id` stores anything that is not plain."""
    if isinstance(value, Handle):
        return {"__handle__": int(value)}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return {"__float__": repr(float(value))} if not math.isfinite(value) else float(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in PLAIN_KINDS:
        return {"__ndarray__": array_to_text(value)}
    if isinstance(value, np.generic) and np.asarray(value).dtype.kind in PLAIN_KINDS:
        return {"__scalar__": array_to_text(np.asarray(value))}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(item, keep) for item in value]}
    if isinstance(value, list):
        return [encode(item, keep) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"__dict__": {key: encode(item, keep) for key, item in value.items()}}
    if keep is None:
        raise WireError(f"cannot send a {type(value).__name__}")
    return {"__handle__": keep(value)}


def decode(data, resolve=None):
    """Inverse of `encode`; `resolve(id)` turns a handle back into an object (None: keep ids)."""
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return [decode(item, resolve) for item in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise WireError("malformed value")
    (tag, payload), = data.items()
    try:
        return _decode_tagged(tag, payload, resolve)
    except WireError:
        raise
    except (TypeError, ValueError, AttributeError, RecursionError) as error:
        raise WireError(f"malformed {tag} value: {error}") from None


def _decode_tagged(tag: str, payload, resolve):
    if tag == "__ndarray__":
        return array_from_text(payload)
    if tag == "__scalar__":
        return array_from_text(payload)[()]
    if tag == "__float__":
        return float(payload)
    if tag == "__tuple__":
        return tuple(decode(item, resolve) for item in payload)
    if tag == "__dict__":
        return {str(key): decode(item, resolve) for key, item in payload.items()}
    if tag == "__handle__":
        if not isinstance(payload, int):
            raise WireError("malformed handle")
        return Handle(payload) if resolve is None else resolve(payload)
    raise WireError(f"unknown tag {tag!r}")


class Handle(int):
    """An object that stays in the worker, named by its id."""

    def __repr__(self) -> str:
        return f"Handle({int(self)})"


def dumps(message: dict) -> bytes:
    return (json.dumps(message, allow_nan=False) + "\n").encode("utf-8")


def loads(line: bytes) -> dict:
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(f"not a JSON message: {error}") from None
    if not isinstance(message, dict):
        raise WireError("a message must be a JSON object")
    return message
