"""The plug-in registry: built-ins, entry points from other distributions, 'module:attribute' names."""

from __future__ import annotations

import ast
import importlib.util
import sys
from importlib.metadata import EntryPoint, PackageNotFoundError
from pathlib import Path
from types import SimpleNamespace

import pytest

from director import registry
from director.errors import InputError
from renderers.animatic import AnimaticRenderer

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


@pytest.fixture
def fresh_registry():
    """The registry reads its own plug-ins once; a test that changes where it reads them from starts afresh."""
    registry.own_entry_points.cache_clear()
    yield
    registry.own_entry_points.cache_clear()


def test_builtins_are_listed_with_a_summary():
    renderers = registry.available("renderer")
    assert "animatic" in renderers
    assert "layout track" in renderers["animatic"].summary()
    assert set(registry.available("planner")) >= {"rules"}
    assert set(registry.available("executor")) >= {"local"}


def test_a_third_party_entry_point_adds_a_renderer(monkeypatch):
    plugin = EntryPoint(name="fancy", value="renderers.animatic:AnimaticRenderer", group="director.renderers")
    original = registry.entry_points
    monkeypatch.setattr(registry, "entry_points", lambda group: [plugin] if group == "director.renderers" else original(group=group))
    assert "fancy" in registry.available("renderer")
    assert isinstance(registry.create("renderer", "fancy"), AnimaticRenderer)


def test_module_colon_attribute_names_load_directly():
    renderer = registry.create("renderer", "renderers.animatic:AnimaticRenderer", window=5)
    assert renderer.info.window == 5


def test_bad_names_and_options_are_input_errors():
    with pytest.raises(InputError, match="available: llm, rules"):
        registry.load("planner", "gpt")
    with pytest.raises(InputError, match="cannot be loaded"):
        registry.load("renderer", "no_such_module:Thing")
    with pytest.raises(InputError, match="bad options for renderer 'animatic'"):
        registry.create("renderer", "animatic", colour="red")


def test_the_built_ins_are_exactly_the_entry_points_pyproject_declares():
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["entry-points"]
    for kind, group in registry.GROUPS.items():
        built_in = {name: p.target for name, p in registry.available(kind).items() if p.origin == "built-in"}
        assert built_in == declared[group], kind


@pytest.mark.parametrize("kind", list(registry.GROUPS))
def test_every_built_in_names_a_module_that_defines_it(kind):
    """A moved or renamed file that pyproject.toml still names fails here, without importing optional extras."""
    for plugin in registry.available(kind).values():
        module_name, _, attribute = plugin.target.partition(":")
        spec = importlib.util.find_spec(module_name)
        assert spec is not None and spec.origin, f"{plugin.name}: no module {module_name}"
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        defined = {node.name for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
        assert attribute in defined, f"{plugin.name}: {module_name} defines no {attribute}"


def test_outside_a_source_tree_the_installed_distributions_entry_points_are_the_built_ins(monkeypatch, tmp_path, fresh_registry):
    class Installed:
        entry_points = [EntryPoint(name="sketch", value="renderers.animatic:AnimaticRenderer", group="director.renderers")]

    monkeypatch.setattr(registry, "PYPROJECT", tmp_path / "pyproject.toml")  # a wheel: no pyproject.toml beside the code
    monkeypatch.setattr(registry, "distribution", lambda name: Installed() if name == "director" else None)
    renderers = registry.available("renderer")
    assert renderers["sketch"].origin == "built-in"
    assert "animatic" not in renderers  # only what the metadata declares
    assert isinstance(registry.create("renderer", "sketch"), AnimaticRenderer)


def test_an_uninstalled_copy_without_pyproject_has_no_built_ins_but_still_loads_module_names(monkeypatch, tmp_path, fresh_registry):
    def not_installed(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr(registry, "PYPROJECT", tmp_path / "pyproject.toml")
    monkeypatch.setattr(registry, "distribution", not_installed)
    monkeypatch.setattr(registry, "entry_points", lambda group: [])
    assert registry.available("renderer") == {}
    assert isinstance(registry.create("renderer", "renderers.animatic:AnimaticRenderer"), AnimaticRenderer)


def test_a_stale_copy_of_the_projects_own_metadata_does_not_override_the_source_tree(monkeypatch):
    """An editable install made before a renderer moved still lists its old path; pyproject.toml wins."""
    director = SimpleNamespace(name="director")
    stale = [
        SimpleNamespace(name="animatic", value="renderers.old_animatic:AnimaticRenderer", dist=director),
        SimpleNamespace(name="old_only", value="renderers.old_animatic:Gone", dist=director),
    ]
    monkeypatch.setattr(registry, "entry_points", lambda group: stale if group == "director.renderers" else [])
    renderers = registry.available("renderer")
    assert renderers["animatic"].target == "renderers.animatic:AnimaticRenderer"
    assert "old_only" not in renderers
