"""autograder.settings: one object, serialized in one place, the same after a round trip."""

from __future__ import annotations

from dataclasses import replace

from autograder.settings import Limits, Settings


def test_round_trip_keeps_every_field():
    settings = Settings(call_timeout=7, import_timeout=3.5, timeout=90,
                        limits=Limits(memory_bytes=2**30, processes=8),
                        questions=["ln_forward", "bn_backward"], sandbox="uid")
    assert Settings.from_json(settings.to_json()) == settings


def test_questions_are_a_tuple_and_empty_means_all():
    assert Settings(questions=["a", "b"]).questions == ("a", "b")
    assert Settings(questions=[]).questions is None
    assert replace(Settings(), questions=iter(["x"])).questions == ("x",)
    assert Settings.from_json(Settings().to_json()).questions is None


def test_the_serialization_is_canonical():
    assert Settings(questions=["a"]).to_json() == Settings(questions=("a",)).to_json()
    assert Settings(sandbox="full").to_json() != Settings(sandbox="uid").to_json()
