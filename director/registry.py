"""Find planners, renderers and executors by name, importing them only when used.

Built-in ones are listed here as import strings; others come from installed
distributions through entry-point groups (`director.planners`,
`director.renderers`, `director.executors`), so a third-party package adds
one without touching this repository. A name of the form `module:attribute`
is imported directly, which is handy while developing a plug-in.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Literal

from director.errors import InputError

Kind = Literal["planner", "renderer", "executor", "detector"]

GROUPS: dict[Kind, str] = {
    "planner": "director.planners",
    "renderer": "director.renderers",
    "executor": "director.executors",
    "detector": "director.detectors",  # entity detectors for `director eval` (director/evaluate/detectors.py)
}

BUILTIN: dict[Kind, dict[str, str]] = {
    "planner": {"rules": "planners.rules:RulesPlanner", "llm": "planners.llm:LLMPlanner"},
    "renderer": {
        "animatic": "renderers.animatic:AnimaticRenderer",
        "diffusers": "renderers.diffusers.renderer:DiffusersRenderer",
        "tiny": "renderers.tiny.renderer:TinyRenderer",
    },
    "executor": {"local": "director.execute:LocalExecutor", "ray": "director.ray_executor:RayExecutor"},
    "detector": {
        "color": "director.evaluate.detectors:ColorDetector",
        "owlvit": "director.evaluate.detectors:OwlVitDetector",
    },
}


def default_renderer() -> str:
    """The renderer used when none is named: `tiny`, the embedded diffusion models, where its extra is
    installed (`pip install 'director[tiny]'`), else `animatic`, which needs nothing more."""
    from renderers.tiny import installed

    return "tiny" if installed() else "animatic"


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
    """Every plug-in of this kind: built-ins, then entry points (which may add names, not replace them)."""
    plugins = {name: Plugin(kind, name, target, "built-in") for name, target in BUILTIN[kind].items()}
    for ep in entry_points(group=GROUPS[kind]):
        if ep.name not in plugins:
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
