"""Every field of a renderer's config changed to another valid value, for tests that the cache key follows each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel


def changed_fields(config: BaseModel) -> Iterator[tuple[str, Any]]:
    """(field, another valid value) for every field of `config`; a field of a kind it cannot change fails,
    so a new kind of setting gets a way to change it here rather than going untested."""
    for name, field in type(config).model_fields.items():
        value = getattr(config, name)
        kind = field.annotation
        if get_origin(kind) is Literal:
            other = next(choice for choice in get_args(kind) if choice != value)
        elif kind is bool:
            other = not value
        elif kind is int:
            other = value + 1
        elif kind is float:
            other = value / 2 if value else 0.5
        else:
            raise AssertionError(f"{type(config).__name__}.{name}: no way to change a {kind!r}; add one to tests/config_fields.py")
        type(config).model_validate({**config.model_dump(), name: other})  # still a valid config
        yield name, other
