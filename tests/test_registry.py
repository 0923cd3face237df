"""The plug-in registry: built-ins, entry points from other distributions, 'module:attribute' names."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from director import registry
from director.errors import InputError
from renderers.animatic import AnimaticRenderer


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
