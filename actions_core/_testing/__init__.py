"""The test kit's internals (private): import the public names from :mod:`actions_core.testing`.

``servers`` and ``openai`` need the ``testing`` extra (pytest-httpserver, trustme); the pytest
plugin (``pytest_plugin``) is loaded by pytest through the ``pytest11`` entry point.
"""
