"""A persistent record of the schemas that passed the JSON Schema meta-schema check.

Registration checks every schema against the Draft 2020-12 meta-schema so that a type that
registers cleanly never fails later on a malformed schema. In a fresh process that check costs
far more than the rest of start-up (importing jsonschema alone, then compiling the meta-schema),
and plugins register the same schemas at every start. So a schema that *passed* is remembered
in the user's cache directory and later processes skip the check.

Why this is safe:

* Only passes are stored. A schema that fails is checked by jsonschema every time, so
  registration rejects it with exactly jsonschema's message.
* Entries are content-addressed: an entry holds the schema's canonical JSON *and* the installed
  versions of ``jsonschema`` and ``jsonschema-specifications`` (which ships the meta-schemas),
  and counts only when all of it matches exactly, so an entry is never trusted across versions
  of either. Schemas that do not survive a JSON round trip unchanged (tuples, non-string keys,
  custom objects) are never cached: their JSON text does not say what jsonschema would see.
* One file per entry, written to a temporary name and renamed into place: concurrent writers
  (several workers starting at once) can only ever produce a complete entry, never a torn one.
* Any error reading or writing the cache (read-only home, no metadata) only disables it.

``ACTIONS_SCHEMA_CACHE=0`` turns the cache off; ``ACTIONS_CACHE_DIR`` or ``XDG_CACHE_HOME``
moves it (see :func:`cache_dir`).
"""

from __future__ import annotations

import importlib.metadata
import os
import zlib
from pathlib import Path

__all__ = ["DISABLE_ENV", "cache_dir", "passed", "remember"]

DISABLE_ENV = "ACTIONS_SCHEMA_CACHE"
#: Bump when the meaning of a cached entry changes (e.g. a different meta-schema draft).
_FORMAT = "draft2020-12-v1"
_VERSIONED_DISTRIBUTIONS = ("jsonschema", "jsonschema-specifications")

_versions: str | None = None


def cache_dir() -> Path:
    """``schema-checks`` in the project's cache directory, as scripts/llama-server-setup finds it.

    ``$ACTIONS_CACHE_DIR``, else ``$XDG_CACHE_HOME/actions-core``, else ``~/.cache/actions-core``.
    """
    base = os.environ.get("ACTIONS_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "actions-core")
    return Path(base) / "schema-checks"


def _enabled() -> bool:
    return os.environ.get(DISABLE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def _installed_versions() -> str | None:
    """The versions the check depends on, read from package metadata (jsonschema unimported)."""
    global _versions
    if _versions is None:
        try:
            _versions = "\0".join(
                f"{name}={importlib.metadata.version(name)}" for name in _VERSIONED_DISTRIBUTIONS
            )
        except importlib.metadata.PackageNotFoundError:
            _versions = ""
    return _versions or None


def _record(canonical: str) -> tuple[Path, str] | None:
    """Where the entry of this schema lives, and the exact text it must hold to count.

    The file name is a CRC-32 of the text (``zlib`` is already loaded, unlike ``hashlib``, whose
    OpenSSL start-up would cost more than the lookups); the file holds the full text, which is
    compared on read, so a CRC collision is only ever a cache miss, never a false pass.
    """
    versions = _installed_versions()
    if versions is None or not _enabled():
        return None
    text = f"{_FORMAT}\0{versions}\0{canonical}"
    name = f"{zlib.crc32(text.encode()):08x}-{len(text)}"
    return cache_dir() / name, text


def passed(canonical: str) -> bool:
    """Whether the schema with this canonical JSON passed the check under installed versions."""
    record = _record(canonical)
    if record is None:
        return False
    path, text = record
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeError):
        return False


def remember(canonical: str) -> None:
    """Record that the schema with this canonical JSON passed; never raises."""
    record = _record(canonical)
    if record is None:
        return
    path, text = record
    try:
        import tempfile  # only writers need it

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError:
        pass
