"""Public names report ``actions_core`` as their module (as httpx's do), and everything that
reads ``__module__`` keeps working: pickling, reprs, type hints, pydoc."""

from __future__ import annotations

import dataclasses
import json
import pickle
import pydoc
import subprocess
import sys
import typing
from types import FunctionType

import pluggy
import pytest

import actions_core

PUBLIC = [getattr(actions_core, name) for name in actions_core.__all__]
CLASSES_AND_FUNCTIONS = [v for v in PUBLIC if isinstance(v, type | FunctionType)]
DATACLASSES = [v for v in CLASSES_AND_FUNCTIONS if dataclasses.is_dataclass(v)]
#: Their annotations name types imported only for type checkers: never resolvable at run time.
TYPE_CHECKING_ONLY_HINTS = {"ExecutionContext", "ValidationContext"}


def test_every_public_class_and_function_reports_the_public_module():
    assert len(CLASSES_AND_FUNCTIONS) > 40
    private = [v.__qualname__ for v in CLASSES_AND_FUNCTIONS if v.__module__ != "actions_core"]
    assert private == []


def test_the_module_is_public_even_when_a_private_module_was_imported_first():
    code = (
        "import json\n"
        "from actions_core._run.result import ActionResult\n"
        "import actions_core\n"
        "assert actions_core.ActionResult is ActionResult\n"
        "print(json.dumps([ActionResult.__module__, actions_core.ExecutionError.__module__]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["actions_core", "actions_core"]


def test_constants_and_the_hookimpl_marker_are_left_as_they_are():
    assert isinstance(actions_core.hookimpl, pluggy.HookimplMarker)
    assert actions_core.hookimpl.project_name == "actions_core"
    assert actions_core.HOSTNAME_ERROR_CODE == "ERR_TLS_CERT_ALTNAME_INVALID"


def test_reprs_name_the_public_path():
    assert repr(actions_core.ActionResult) == "<class 'actions_core.ActionResult'>"
    assert repr(actions_core.ValidationError("x")) == "ValidationError('x')"
    result = actions_core.ActionResult(status="ok", connector_id="c")
    assert repr(result).startswith("ActionResult(status='ok', connector_id='c'")


@pytest.mark.parametrize("value", CLASSES_AND_FUNCTIONS, ids=lambda v: v.__qualname__)
def test_classes_and_functions_pickle_by_their_public_name(value):
    data = pickle.dumps(value)
    assert b"actions_core._" not in data
    assert pickle.loads(data) is value


def test_instances_pickle_and_come_back_equal():
    result = actions_core.ActionResult(status="error", connector_id="c", retry=False)
    assert pickle.loads(pickle.dumps(result)) == result
    err = pickle.loads(pickle.dumps(actions_core.ExecutionError("down", retry=False)))
    assert (type(err), err.message, err.retry) == (actions_core.ExecutionError, "down", False)
    usage = actions_core.TokenUsage(prompt_tokens=1, completion_tokens=2)
    assert pickle.loads(pickle.dumps(usage)) == usage


@pytest.mark.parametrize(
    "cls",
    [c for c in DATACLASSES if c.__name__ not in TYPE_CHECKING_ONLY_HINTS],
    ids=lambda c: c.__name__,
)
def test_type_hints_of_public_dataclasses_still_resolve(cls):
    hints = typing.get_type_hints(cls)
    assert set(hints) >= {field.name for field in dataclasses.fields(cls)}
    assert not any(isinstance(hint, str) for hint in hints.values())


def test_type_hints_resolve_through_subclasses_defined_elsewhere():
    @dataclasses.dataclass
    class Mine(actions_core.ActionResult):
        extra: int = 0

    hints = typing.get_type_hints(Mine)
    assert (hints["connector_id"], hints["extra"]) == (str, int)


def test_pydoc_documents_public_names_under_the_package():
    text = pydoc.render_doc(actions_core.ActionResult, renderer=pydoc.plaintext)
    assert "ActionResult" in text and "in module actions_core" in text
    text = pydoc.render_doc(actions_core.json_stringify, renderer=pydoc.plaintext)
    assert "in module actions_core" in text and "JSON.stringify" in text
