"""Unit tests of the judge/worker wire format (autograder/runtime/wire.py).

Only plain data may cross: whatever arrives is decoded without pickle, as plain numpy arrays, and
anything malformed is refused with `WireError` (which the client turns into a lost worker).
"""

from __future__ import annotations

import base64
import io
import json
import math

import numpy as np
import pytest

from autograder.runtime import wire


def through_the_pipe(value, keep=None):
    """encode -> one JSON line -> decode, as a value travels between judge and worker."""
    line = wire.dumps({"id": 1, "value": wire.encode(value, keep)})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    message = wire.loads(line)
    assert message["id"] == 1
    return wire.decode(message["value"])


def npy_text(array, allow_pickle=False) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def assert_same(got, want):
    """Deep equality that also checks container types, array dtypes and exact array classes."""
    if isinstance(want, np.ndarray):
        assert type(got) is np.ndarray
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    elif isinstance(want, np.generic):
        assert isinstance(got, np.generic) and got.dtype == want.dtype, (got, want)
        assert got == want or (np.isnan(got) and np.isnan(want))
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_same(g, w)
    elif isinstance(want, dict):
        assert type(got) is dict and list(got) == list(want)
        for key in want:
            assert_same(got[key], want[key])
    elif isinstance(want, float) and math.isnan(want):
        assert isinstance(got, float) and math.isnan(got)
    else:
        assert type(got) is type(want) and got == want, (got, want)


# Round trips ----------------------------------------------------------------------------------

def test_nested_containers_with_arrays_round_trip():
    value = {
        "x": np.arange(12, dtype=np.float64).reshape(3, 4) / 7,
        "pair": (np.ones(3, dtype=np.float32), [1, 2.5, None, True, False, "text"]),
        "nested": {"deeper": [(np.zeros((0, 5)), {"i": np.arange(4, dtype=np.int32)})],
                   "empty": {}, "empty_list": [], "empty_tuple": ()},
        "mask": np.array([True, False, True]),
        "unsigned": np.arange(5, dtype=np.uint8),
        "complex": np.array([1 + 2j, -3j]),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "scalar_array": np.array(3.25),
    }
    assert_same(through_the_pipe(value), value)


def test_tuples_and_lists_stay_distinct():
    got = through_the_pipe([(1, 2), [1, 2], ((),), [[]]])
    assert got == [(1, 2), [1, 2], ((),), [[]]]
    assert type(got[0]) is tuple and type(got[1]) is list
    assert type(got[2][0]) is tuple and type(got[3][0]) is list


def test_floats_round_trip_exactly():
    values = [0.1 + 0.2, -0.0, 5e-324, 1.7976931348623157e308, 1 / 3]
    got = through_the_pipe(values)
    assert [v.hex() for v in got] == [v.hex() for v in values]
    assert math.copysign(1.0, got[1]) == -1.0


@pytest.mark.parametrize("scalar", [
    np.float32(1.25), np.float16(-2.5), np.int64(-7), np.int8(3), np.uint16(65535),
    np.bool_(True), np.bool_(False), np.complex128(1 - 2j), np.float32("nan"),
], ids=repr)
def test_numpy_scalars_keep_their_dtype(scalar):
    assert_same(through_the_pipe(scalar), scalar)
    assert_same(through_the_pipe({"s": [scalar]}), {"s": [scalar]})


def test_float64_scalars_keep_their_value():
    # np.float64 is a Python float: it may cross as one, but its value must be exact.
    value = np.float64(0.1) * 3
    got = through_the_pipe(value)
    assert isinstance(got, float) and got == value


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, np.float64("inf"),
                                   np.float64("nan")], ids=repr)
def test_non_finite_floats_round_trip_as_strict_json(value):
    line = wire.dumps({"value": wire.encode([value, (value,), {"k": value}])})
    assert b"NaN" not in line and b"Infinity" not in line  # strict JSON, no bare literals
    got = wire.decode(wire.loads(line)["value"])
    for item in (got[0], got[1][0], got[2]["k"]):
        assert isinstance(item, float)
        assert (math.isnan(item) if math.isnan(value) else item == value)


def test_non_finite_array_entries_round_trip():
    array = np.array([np.nan, np.inf, -np.inf, 1.0])
    got = through_the_pipe(array)
    assert type(got) is np.ndarray
    np.testing.assert_array_equal(got, array)  # treats NaN == NaN


def test_dumps_refuses_a_bare_nan():
    with pytest.raises(ValueError):
        wire.dumps({"value": float("nan")})


def test_handles_round_trip():
    encoded = wire.encode({"cache": wire.Handle(7), "list": [wire.Handle(8)]})
    assert encoded == {"__dict__": {"cache": {"__handle__": 7},
                                    "list": [{"__handle__": 8}]}}
    decoded = wire.decode(json.loads(json.dumps(encoded)))
    assert type(decoded["cache"]) is wire.Handle and decoded["cache"] == 7
    assert repr(decoded["list"][0]) == "Handle(8)"
    # With a resolver the handle turns back into the object it names.
    objects = {7: object(), 8: object()}
    resolved = wire.decode(encoded, objects.__getitem__)
    assert resolved["cache"] is objects[7] and resolved["list"][0] is objects[8]


def test_objects_that_are_not_plain_data_become_handles_or_are_refused():
    kept = []

    def keep(obj):
        kept.append(obj)
        return len(kept)

    cache = object()
    strings = np.array(["a", "b"])
    value = (np.ones(2), cache, {1: "int key"}, strings)
    encoded = wire.encode(value, keep)
    assert kept == [cache, {1: "int key"}, strings]
    got = wire.decode(encoded)
    assert type(got[0]) is np.ndarray and list(got[1:]) == [1, 2, 3]
    assert all(type(handle) is wire.Handle for handle in got[1:])
    for unplain in (cache, {1: "x"}, strings, np.array([None], dtype=object), {1, 2}):
        with pytest.raises(wire.WireError):
            wire.encode(unplain)


def test_booleans_stay_booleans():
    got = through_the_pipe([True, False, 1, 0])
    assert [type(v) for v in got] == [bool, bool, int, int]


# Decoding untrusted data ----------------------------------------------------------------------

class Tagged(np.ndarray):
    """An ndarray subclass a worker might try to smuggle through."""


@pytest.mark.parametrize("make", [
    lambda: np.arange(6.0).reshape(2, 3).view(Tagged),
    lambda: np.matrix([[1.0, 2.0], [3.0, 4.0]]),
    lambda: np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]),
    lambda: np.arange(3.0).view(np.recarray),
], ids=["subclass", "matrix", "masked", "recarray"])
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
def test_decode_returns_plain_ndarrays_even_for_subclasses(make):
    array = make()
    assert type(array) is not np.ndarray
    got = wire.decode(wire.encode(array))
    assert type(got) is np.ndarray
    np.testing.assert_array_equal(got, np.asarray(array))  # a masked array's data


@pytest.mark.parametrize("tag", ["__ndarray__", "__scalar__"])
def test_decode_rejects_object_arrays(tag):
    payload = npy_text(np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError):
        wire.decode({tag: payload})
    with pytest.raises(wire.WireError):  # also nested deep inside
        wire.decode({"__dict__": {"x": [{"__tuple__": [{tag: payload}]}]}})


@pytest.mark.parametrize("array", [
    np.array(["text"]), np.array([b"bytes"]), np.array(["2020-01-01"], dtype="datetime64[D]"),
    np.array([1], dtype="timedelta64[s]"), np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]),
    np.zeros(2, dtype="V8"),
], ids=["unicode", "bytes", "datetime", "timedelta", "structured", "void"])
def test_decode_rejects_arrays_that_are_not_numeric(array):
    with pytest.raises(wire.WireError):
        wire.decode({"__ndarray__": npy_text(array)})


@pytest.mark.parametrize("data", [
    {"__nope__": 1},
    {"__ndarray__": "x", "__scalar__": "y"},  # two tags
    {},  # no tag
    {"plain": "dict"},  # a dict must be tagged
    {"__dict__": {"a": {"x": 1, "y": 2}}},  # an untagged dict inside
    {"__handle__": "3"},
    {"__handle__": 2.0},
    {"__ndarray__": "not base64!!"},
    {"__ndarray__": base64.b64encode(b"not an npy file").decode()},
    {"__ndarray__": npy_text(np.arange(10))[:-12]},  # truncated
    (1, 2),  # a Python tuple is not JSON data
    {1, 2},
    b"bytes",
], ids=repr)
def test_decode_rejects_malformed_values(data):
    with pytest.raises(wire.WireError):
        wire.decode(data)


def test_decode_rejects_known_tags_with_malformed_payloads():
    # A payload of the wrong JSON type must be a WireError too: the client treats only that
    # as a protocol break (and then kills the worker).
    for data in ({"__float__": "abc"}, {"__float__": None}, {"__tuple__": 5},
                 {"__dict__": [1, 2]}, {"__dict__": "text"}):
        with pytest.raises(wire.WireError):
            wire.decode(data)


@pytest.mark.parametrize("line", [
    b"[1, 2]", b'"text"', b"5", b"null", b"true", b"NaN",
    b"{not json", b"", b"\xff\xfe{}", b'{"id": 1',
], ids=repr)
def test_loads_rejects_what_is_not_a_json_object(line):
    with pytest.raises(wire.WireError):
        wire.loads(line)


def test_loads_accepts_a_json_object_line():
    assert wire.loads(b'{"id": 3, "value": [1, {"__float__": "inf"}]}\n') == {
        "id": 3, "value": [1, {"__float__": "inf"}]}
    assert wire.decode(wire.loads(b'{"value": {"__float__": "-inf"}}')["value"]) == -math.inf


def test_wire_error_is_a_value_error():
    assert issubclass(wire.WireError, ValueError)


def test_exception_names_from_a_worker_must_look_like_names():
    from autograder.grading.client import exception_name

    assert exception_name("ValueError") == "ValueError"
    assert exception_name("**Auto-graded score: 68 / 68**") == "an exception with an invalid name"
    assert exception_name(None) == "None"
