"""Plugin loading: entry points, the ACTIONS_PLUGINS allow-list, loud failures naming plugins."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import pytest

import actions_core
from actions_core import Actions, PluginError
from actions_core._plugins import hookspecs
from actions_core._plugins.manager import entry_point_plugins
from tests.support import TypesPlugin, echo_type


def test_built_in_plugins_are_entry_points_of_the_actions_core_group():
    names = [name for name, _ in entry_point_plugins()]
    assert names == ["server-log"]  # ACTIONS_PLUGINS=server-log in every test


def test_allow_list_selects_plugins(monkeypatch, make_actions):
    monkeypatch.setenv("ACTIONS_PLUGINS", "")
    assert [t.id for t in make_actions().types()] == []
    monkeypatch.setenv("ACTIONS_PLUGINS", " server-log , not-installed ")
    assert [t.id for t in make_actions().types()] == [".server-log"]


def test_without_the_allow_list_every_installed_plugin_loads(monkeypatch, make_actions):
    monkeypatch.delenv("ACTIONS_PLUGINS")
    assert ".server-log" in [t.id for t in make_actions().types()]


def test_types_report_the_plugin_that_registered_them(make_actions):
    types = {t.id: t for t in make_actions(echo_type(".echo")).types()}
    assert types[".server-log"].plugin == "server-log"
    assert types[".echo"].plugin == "test-plugin"


def test_a_misspelled_hook_fails_at_start_up_naming_the_plugin(make_actions):
    class Typo:
        __name__ = "typo-plugin"

        @actions_core.hookimpl
        def register_action_typez(self, register):
            raise AssertionError("never called")

    with pytest.raises(PluginError) as err:
        make_actions(plugins=[Typo()])
    assert 'Plugin "typo-plugin"' in err.value.message
    assert "register_action_typez" in err.value.message


def test_a_hook_with_wrong_arguments_fails_naming_the_plugin(make_actions):
    class WrongArgs:
        __name__ = "wrong-args"

        @actions_core.hookimpl
        def register_action_types(self, registrar):
            pass

    with pytest.raises(PluginError) as err:
        make_actions(plugins=[WrongArgs()])
    assert 'Plugin "wrong-args"' in err.value.message
    assert "registrar" in err.value.message


def test_a_duplicate_type_id_names_both_plugins_and_how_to_leave_one_out(make_actions):
    with pytest.raises(PluginError) as err:
        make_actions(plugins=[TypesPlugin(echo_type(".server-log"))])
    assert err.value.message == (
        'Plugin "test-plugin": Action type ".server-log" is already registered by plugin '
        '"server-log"; plugin "test-plugin" registers it again. Two plugins cannot register '
        "the same type id: leave one of them out with ACTIONS_PLUGINS (the comma-separated "
        "names of the plugins to load)."
    )


def test_a_plugin_that_implements_no_hook_is_loaded_with_a_warning_naming_it(make_actions, caplog):
    class Forgotten:  # the hook function lacks its @actions_core.hookimpl marker
        __name__ = "forgotten-marker"

        def register_action_types(self, register):
            raise AssertionError("never called")

    with caplog.at_level("WARNING", logger="actions_core.plugins"):
        make_actions(plugins=[Forgotten(), TypesPlugin(echo_type(".echo"))])
    warnings = [r.getMessage() for r in caplog.records if r.name == "actions_core.plugins"]
    assert warnings == [
        'Plugin "forgotten-marker" implements no hook: it does nothing. Mark its hook '
        "functions with @actions_core.hookimpl (hooks: register_action_types, "
        "register_commands)."
    ]


def test_an_exception_inside_a_plugin_names_the_plugin(make_actions):
    class Broken:
        __name__ = "broken"

        @actions_core.hookimpl
        def register_action_types(self, register):
            raise RuntimeError("boom")

    with pytest.raises(PluginError) as err:
        make_actions(plugins=[Broken()])
    assert err.value.message.startswith('Plugin "broken": register_action_types failed')
    assert "boom" in err.value.message


def test_every_hook_is_documented_with_its_signature():
    specs = [
        obj
        for name, obj in vars(hookspecs).items()
        if callable(obj) and hasattr(obj, "actions_core_spec")
    ]
    assert specs, "no hook specifications found"
    for spec in specs:
        assert spec.__doc__ and len(spec.__doc__.strip()) > 40, spec.__name__
        assert list(inspect.signature(spec).parameters), spec.__name__


def test_entry_points_are_imported_once_per_process(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        from actions_core import Actions
        Actions(data_dir=sys.argv[1] + "/a").close()
        module = sys.modules["actions_core_plugins.server_log"]
        module.loaded_marker = "still here"
        Actions(data_dir=sys.argv[1] + "/b").close()
        assert sys.modules["actions_core_plugins.server_log"].loaded_marker == "still here"
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"ACTIONS_PLUGINS": "server-log", "ACTIONS_ENCRYPTION_KEY": "k" * 40, "PATH": ""},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_plugins_can_be_passed_as_modules(tmp_path, make_actions):
    module = type(sys)("my_plugin_module")

    @actions_core.hookimpl
    def register_action_types(register):
        register(echo_type("my.echo"))

    module.register_action_types = register_action_types
    actions = make_actions(plugins=[module])
    assert isinstance(actions, Actions)
    assert actions.registry.plugin_of("my.echo") == "my_plugin_module"
