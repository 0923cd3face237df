"""Validation errors as (field path, message) pairs, so the page can show each one next to its field.

pydantic reports where a field check failed (`scenes.2.layouts.0.boxes.cat.x0`),
but a cross-field check fails on the model that holds the fields, with the
field named in its message ("relations[0].end is 9 s, outside the scene",
"`x0` must be less than `x1`"). `field_errors` moves such errors down to the
field the message names, so they land beside the right input.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from director.storyboard import Storyboard

# A field path at the start of a message: `x0` / `entities` / relations[0].end / scenes[1].transition.duration
_LEADING_FIELD = re.compile(r"^(?:`(?P<quoted>[a-z_][a-z0-9_]*)`|(?P<path>[a-z_]+\[\d+\](?:\.[a-z_][a-z0-9_]*|\[\d+\])*))")


class FieldError(BaseModel):
    path: str  # dotted: "scenes.2.layouts.0.boxes.cat.x0"; "" for the storyboard as a whole
    message: str


class StoryboardInvalid(ValueError):
    """A storyboard sent by the page does not validate; `errors` say where."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path or 'storyboard'}: {e.message}" for e in errors))
        self.errors = errors


def field_errors(error: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[FieldError]:
    found: list[FieldError] = []
    for item in error.errors():
        loc = [*prefix, *item["loc"]]
        message = item["msg"].removeprefix("Value error, ")
        match = _LEADING_FIELD.match(message)
        if match:
            named = match["quoted"] or match["path"]
            loc += [int(p) if p.isdigit() else p for p in re.split(r"[.\[\]]+", named) if p]
        if item["type"] in {"greater_than_equal", "less_than_equal", "greater_than", "less_than", "multiple_of"}:
            message += f" (got {item['input']!r})"
        found.append(FieldError(path=".".join(str(p) for p in loc), message=message))
    return found


def validate_storyboard(data: Any) -> Storyboard:
    """A `Storyboard` from JSON data sent by the page, or `StoryboardInvalid` with every error by field."""
    try:
        return Storyboard.model_validate(data)
    except ValidationError as e:
        raise StoryboardInvalid(field_errors(e)) from None
