"""One error tree: every error actions-core raises is an ``ActionsError`` with a status code,
and the tree drawn in ``actions_core.errors``' docstring is the real one (it cannot drift)."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
import re

import pytest

import actions_core
from actions_core import errors

# "    │   ├── Name    400  module": the indent gives the depth, then the name and status code
TREE_LINE = re.compile(
    r"^    (?P<indent>(?:[│ ]   )*)(?:[├└]── )?(?P<name>[A-Z]\w+)\s+(?P<status>\d{3})"
)


def package_modules() -> list[str]:
    names = ["actions_core"]
    for info in pkgutil.walk_packages(actions_core.__path__, "actions_core."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def package_error_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in the package (importing every module first)."""
    for name in package_modules():
        importlib.import_module(name)
    found: dict[str, type[BaseException]] = {}
    for name in package_modules():
        for value in vars(importlib.import_module(name)).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__.startswith("actions_core")
            ):
                found[value.__name__] = value
    return found


def drawn_tree() -> list[tuple[int, str, int]]:
    doc = errors.__doc__ or ""
    rows = []
    for line in doc.split("::", 1)[1].splitlines():
        match = TREE_LINE.match(line)
        if match:
            depth = len(match["indent"]) // 4 + (0 if match["name"] == "ActionsError" else 1)
            rows.append((depth, match["name"], int(match["status"])))
    return rows


def test_the_tree_in_the_docstring_is_the_real_hierarchy():
    classes = package_error_classes()
    rows = drawn_tree()
    assert rows[0] == (0, "ActionsError", 500)
    parents: list[str] = []
    for depth, name, status in rows:
        cls = classes[name]
        assert cls.status_code == status, f"{name}: the tree says {status}"
        del parents[depth:]
        if parents:
            assert cls.__bases__[0] is classes[parents[-1]], f"{name} is drawn under {parents[-1]}"
        parents.append(name)


def test_the_tree_names_every_class_of_the_errors_module():
    drawn = {name for _, name, _ in drawn_tree()}
    defined = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, BaseException)
    }
    assert defined - drawn == set()


def test_the_tree_names_every_actions_error_of_the_package():
    drawn = {name for _, name, _ in drawn_tree()}
    classes = package_error_classes()
    tree = {name for name, cls in classes.items() if issubclass(cls, errors.ActionsError)}
    assert tree - drawn == set()
    assert drawn - tree == set()


#: Exceptions that belong to one interface (documented in the errors module as outside the tree).
#: The HTTP layer's errors, the login redirect of the pages, and the CLI's exit codes.
INTERFACE_ONLY = {"HttpError", "LoginRequired", "Failure"}


def test_every_error_the_package_defines_is_an_actions_error():
    outside = {
        name
        for name, cls in package_error_classes().items()
        if not issubclass(cls, errors.ActionsError)
    }
    assert outside == INTERFACE_ONLY


def public_errors() -> list[type[BaseException]]:
    names = set(actions_core.__all__) | set(errors.__all__)
    values = [getattr(actions_core, n, None) or getattr(errors, n) for n in sorted(names)]
    return [v for v in values if inspect.isclass(v) and issubclass(v, BaseException)]


def test_every_public_exception_is_an_actions_error_with_a_status_code():
    found = public_errors()
    assert {e.__name__ for e in found} >= {"ExecutionError", "TemplateError", "SecretsUnavailable"}
    for cls in found:
        assert issubclass(cls, actions_core.ActionsError), cls
        assert isinstance(cls.status_code, int) and 400 <= cls.status_code < 600, cls
        assert cls.error, cls


def test_the_errors_that_were_outside_the_tree_are_in_it_and_importable_where_they_were():
    from actions_core._js.mustache import TemplateError
    from actions_core._run.result import ExecutionError
    from actions_core.secrets import SecretsUnavailable

    assert TemplateError is errors.TemplateError
    assert issubclass(TemplateError, actions_core.ValidationError)
    assert TemplateError("bad").to_body() == {
        "statusCode": 400,
        "error": "Bad Request",
        "message": "bad",
    }
    assert SecretsUnavailable is errors.SecretsUnavailable
    assert SecretsUnavailable("x").status_code == 500
    assert ExecutionError is errors.ExecutionError is actions_core.ExecutionError
    assert ExecutionError("down").status_code == 502


def test_execution_error_survives_pickling_with_its_retry_and_source():
    err = pickle.loads(pickle.dumps(errors.ExecutionError("no", retry=False, error_source="user")))
    assert (err.message, err.retry, err.error_source) == ("no", False, "user")


def test_every_error_survives_pickling_whatever_its_constructor_takes():
    samples = [
        actions_core.PluginError("example", "broke"),
        actions_core.ResponseTooLargeError("too big", limit=10, origin="https://example.com"),
        actions_core.ValidationError("bad", [("a.b", "missing")]),
    ]
    for err in samples:
        copy = pickle.loads(pickle.dumps(err))
        assert type(copy) is type(err)
        assert (copy.args, vars(copy)) == (err.args, vars(err))
        assert str(copy) == str(err)


@pytest.mark.parametrize("cls", [errors.TemplateError, errors.SecretsUnavailable])
def test_message_errors_keep_their_message(cls):
    assert str(cls("why")) == cls("why").message == "why"
