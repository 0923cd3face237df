"""Find planners, renderers and executors by name, importing them only when used.

Every plug-in comes through an entry-point group (`director.planners`,
`director.renderers`, `director.executors`, `director.detectors`), so a
third-party package adds one without touching this repository. This project's
own plug-ins are the entry points its `pyproject.toml` declares, the one list
of them: read from that file when the code runs from a source tree (where an
editable install's metadata is a copy that goes stale when the file changes),
else from the installed distribution's metadata. A name of the form
`module:attribute` is imported directly, which is handy while developing a
plug-in.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from pathlib import Path
from typing import Any, Literal

from director.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

Kind = Literal["planner", "renderer", "executor", "detector"]

GROUPS: dict[Kind, str] = {
    "planner": "director.planners",
    "renderer": "director.renderers",
    "executor": "director.executors",
    "detector": "director.detectors",  # entity detectors for `director eval` (director/evaluate/detectors.py)
}

PROJECT = "director"  # the distribution whose entry points are this project's own plug-ins ("built-in")
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"  # there when the code runs from a source tree


@cache
def own_entry_points() -> dict[str, dict[str, str]]:
    """This project's plug-ins, group -> name -> "module:attribute": its `pyproject.toml`'s
    `[project.entry-points]` in a source tree, else the installed distribution's entry points."""
    if PYPROJECT.is_file():
        project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == PROJECT:
            return {group: dict(points) for group, points in project.get("entry-points", {}).items()}
    try:
        installed = distribution(PROJECT).entry_points
    except PackageNotFoundError:
        return {}
    points: dict[str, dict[str, str]] = {}
    for ep in installed:
        points.setdefault(ep.group, {})[ep.name] = ep.value
    return points


def default_renderer() -> str:
    """The renderer used when none is named: `tiny-v3`, the embedded diffusion models at 256x144, where the
    tiny extra is installed (`pip install 'director[tiny]'`) and v3's weights are there (they ship in the
    package); `tiny` (v2, 32x32) if only those are missing; else `animatic`, which needs nothing more."""
    from renderers.tiny import installed, v3_installed

    return "tiny-v3" if v3_installed() else "tiny" if installed() else "animatic"


@dataclass(frozen=True)
class Plugin:
    kind: Kind
    name: str
    target: str  # "module:attribute"
    origin: str  # "built-in" or the distribution that provides it

    def summary(self) -> str:
        """First line of the plug-in's docstring (imports it), or why it cannot load."""
        try:
            doc = inspect.getdoc(load(self.kind, self.name)) or ""
        except InputError as e:
            return f"(unavailable: {e})"
        return doc.strip().split("\n", 1)[0]


def available(kind: Kind) -> dict[str, Plugin]:
    """Every plug-in of this kind: this project's own ("built-in"), then other distributions' entry points
    (which may add names, not replace them)."""
    own = own_entry_points().get(GROUPS[kind], {})
    plugins = {name: Plugin(kind, name, target, "built-in") for name, target in own.items()}
    for ep in entry_points(group=GROUPS[kind]):
        if ep.name not in plugins and not (ep.dist is not None and ep.dist.name == PROJECT):
            origin = ep.dist.name if ep.dist is not None else "entry point"
            plugins[ep.name] = Plugin(kind, ep.name, ep.value, origin)
    return plugins


def load(kind: Kind, name: str) -> Any:
    """The class or factory registered under `name` (or named directly as 'module:attribute')."""
    plugins = available(kind)
    if name in plugins:
        target = plugins[name].target
    elif ":" in name:
        target = name
    else:
        known = ", ".join(sorted(plugins)) or "none"
        raise InputError(f"unknown {kind} {name!r}; available: {known} (or give 'module:attribute')")
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise InputError(f"the {kind} {name!r} cannot be loaded: {e}. Is its package installed?") from e
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise InputError(f"the {kind} {name!r} points to {target!r}, but {module_name} has no {attribute!r}") from None


def create(kind: Kind, name: str, **options: Any) -> Any:
    """Build the named plug-in with keyword options; a bad option is an `InputError`."""
    factory = load(kind, name)
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as e:
        raise InputError(f"bad options for {kind} {name!r}: {e}") from None
    except ValueError:
        pass  # no signature to check (a builtin); let the call say
    return factory(**options)
