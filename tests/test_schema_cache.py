"""The persistent meta-schema check cache: passes are remembered, failures never are."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from actions_core._run import schema_cache, validation
from actions_core._run.validation import check_schema

VALID = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}}
INVALID = {"type": "strin"}


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch, tmp_path):
    """An empty cache directory and an empty in-process memo, as in a new process."""
    monkeypatch.setenv("ACTIONS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(validation, "_checked", {})


def _new_process(monkeypatch) -> None:
    """Forget this process's memo; only the persistent cache remains."""
    monkeypatch.setattr(validation, "_checked", {})


def _jsonschema_must_not_run(monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise AssertionError("the meta-schema check ran")

    monkeypatch.setattr(Draft202012Validator, "check_schema", fail)


def test_a_passing_schema_is_remembered_across_processes(monkeypatch):
    assert check_schema(VALID) is None
    assert len(list(schema_cache.cache_dir().iterdir())) == 1
    _new_process(monkeypatch)
    _jsonschema_must_not_run(monkeypatch)
    assert check_schema(dict(reversed(list(VALID.items())))) is None  # key order is irrelevant


def test_a_failing_schema_is_never_remembered_and_keeps_its_message(monkeypatch):
    first = check_schema(INVALID)
    assert "is not valid" in first
    _new_process(monkeypatch)
    assert check_schema(INVALID) == first
    assert not schema_cache.cache_dir().exists()


def test_entries_are_not_trusted_across_jsonschema_versions(monkeypatch):
    assert check_schema(VALID) is None
    _new_process(monkeypatch)
    monkeypatch.setattr(schema_cache, "_versions", "jsonschema=0.0\0jsonschema-specifications=0")
    assert not schema_cache.passed(validation._canonical_json(VALID))
    calls = []
    original = Draft202012Validator.check_schema
    monkeypatch.setattr(
        Draft202012Validator,
        "check_schema",
        classmethod(lambda cls, s, **kw: calls.append(s) or original(s, **kw)),
    )
    assert check_schema(VALID) is None
    assert calls == [VALID]


def test_schemas_json_cannot_represent_exactly_are_never_cached(monkeypatch):
    # A tuple dumps like a list, but jsonschema's "array" is a list only.
    with_tuple = {"type": "object", "required": ("a",)}
    assert validation._canonical_json(with_tuple) is None
    assert validation._canonical_json({1: {"type": "string"}}) is None
    check_schema(with_tuple)
    assert not schema_cache.cache_dir().exists()


def test_the_cache_can_be_switched_off(monkeypatch):
    monkeypatch.setenv(schema_cache.DISABLE_ENV, "0")
    assert check_schema(VALID) is None
    assert not schema_cache.cache_dir().exists()


def test_an_unwritable_cache_only_disables_itself(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ACTIONS_CACHE_DIR", str(blocker))
    assert check_schema(VALID) is None
    assert check_schema(INVALID) is not None


def test_an_entry_counts_only_when_its_whole_text_matches(monkeypatch):
    assert check_schema(VALID) is None
    [entry] = schema_cache.cache_dir().iterdir()
    entry.write_text(entry.read_text(encoding="utf-8").replace("integer", "string"))
    _new_process(monkeypatch)
    assert not schema_cache.passed(validation._canonical_json(VALID))
