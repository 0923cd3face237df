"""Errors director reports to people.

`InputError` means the input is wrong (a bad script, an invalid storyboard, an
unknown renderer name): the CLI prints its message as one paragraph and exits
with code 2. Anything else that escapes is a bug in director: exit code 1.
"""

from __future__ import annotations

from pydantic import ValidationError


class DirectorError(Exception):
    """Base of the errors director raises on purpose."""


class InputError(DirectorError):
    """The input (a file, an option, a storyboard) is wrong; the message says what and where."""


_SHOWS_INPUT = {"greater_than_equal", "less_than_equal", "greater_than", "less_than", "multiple_of", "string_too_long", "string_pattern_mismatch"}


def format_validation_error(error: ValidationError, limit: int = 5, model: str | None = None) -> str:
    """pydantic's errors as one readable paragraph: `scenes[0].layouts[1].boxes.cat.x0: ...`
    (each path after `model.` when one is given, for errors of a model built in code: `Entity.id: ...`)."""
    parts = []
    for item in error.errors()[:limit]:
        path = model or ""
        for loc in item["loc"]:
            path += f"[{loc}]" if isinstance(loc, int) else (f".{loc}" if path else str(loc))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] in _SHOWS_INPUT:
            shown = repr(item["input"])
            message += f" (got {shown[:60] + '...' if len(shown) > 60 else shown})"
        parts.append(f"{path}: {message}" if path else message)
    more = len(error.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)
