"""Request bodies read as strict JSON: what Python's `json` lets through but JSON (RFC 8259) has no room for.

`json.loads` reads `NaN`, `Infinity` and `-Infinity`, turns `1e400` into
infinity, and decodes a lone surrogate escape (`"\\ud800"`) into a `str` that no
UTF-8 encoder can write. Each of those fails later, far from the request: a
reply that cannot be encoded, a storyboard that cannot be saved; a 500. A body
nested hundreds deep passes the parser but not the code that echoes it back in
an error. `StrictJSONRoute` refuses all of them as the body is read, with the
422 any other malformed JSON gets, on every route of the app:

    app = FastAPI()
    app.router.route_class = StrictJSONRoute      # before the routes are added
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Coroutine

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

MAX_DEPTH = 32  # a storyboard is 6 deep (scenes.2.layouts.0.boxes.cat.x0); anything far deeper is not one
MAX_INT = 2**64  # I-JSON (RFC 7493) keeps integers within 2**53; a seed may take 64 bits, nothing needs more


class NotJSON(ValueError):
    """The body is not strict JSON; the message says what in it is not."""


def parse_strict_json(body: bytes) -> Any:
    """The JSON value in `body`, or `NotJSON` for NaN/Infinity, numbers out of range, lone surrogates, deep nesting."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except RecursionError:
        raise NotJSON(f"nested more than {MAX_DEPTH} deep") from None
    except json.JSONDecodeError as e:
        raise NotJSON(f"{e.msg} (line {e.lineno}, column {e.colno})") from None
    except UnicodeDecodeError as e:
        raise NotJSON(f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except ValueError as e:  # from the hooks below, or an integer too long to convert
        raise NotJSON(str(e)) from None
    _check_strings_and_depth(value)
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} is out of range for a number")
    return number


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 20:  # checked before converting: a long digit string costs quadratic time
        raise ValueError(f"the integer {text[:20]}... is out of range (64 bits at most)")
    number = int(text)
    if abs(number) >= MAX_INT:
        raise ValueError(f"the integer {text} is out of range (64 bits at most)")
    return number


def _check_strings_and_depth(value: Any) -> None:
    """Walk the parsed value (without recursion): every string must be encodable UTF-8, nesting at most MAX_DEPTH."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise NotJSON(f"the string {item[:40]!r} holds a lone surrogate (not a character)") from None
        elif isinstance(item, (list, dict)):
            if depth >= MAX_DEPTH:
                raise NotJSON(f"nested more than {MAX_DEPTH} deep")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = parse_strict_json(await self.body())
            except NotJSON as e:
                raise HTTPException(422, f"the request body is not valid JSON: {e}") from None
        return self._json


class StrictJSONRoute(APIRoute):
    """A route whose request body, whenever it has one, is read by `parse_strict_json` (even if the route ignores it)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            request = StrictJSONRequest(request.scope, request.receive)
            if await request.body():
                await request.json()
            return await handler(request)

        return strict_handler
