"""Request bodies read as strict JSON: what Python's `json` lets through but JSON (RFC 8259) has no room for.

`json.loads` (which FastAPI uses) reads `NaN`, `Infinity` and `-Infinity`,
turns `1e400` into infinity, and decodes a lone surrogate escape (`"\\ud800"`)
into a `str` that no UTF-8 encoder can write. Each of those fails later, far
from the request: a reply that cannot be encoded, a storyboard that cannot be
saved; a 500. `StrictJSONRoute` reads every body of the app with pydantic's own
parser instead (jiter: no NaN or Infinity, no lone surrogates, at most 200
levels deep) and refuses numbers out of range, with the 422 any other malformed
JSON gets:

    app = FastAPI()
    app.router.route_class = StrictJSONRoute      # before the routes are added
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Coroutine

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic_core import from_json
from starlette.exceptions import HTTPException

MAX_INT = 2**64  # I-JSON (RFC 7493) keeps integers within 2**53; a seed may take 64 bits, nothing needs more
# Without an exponent of 3+ digits or a run of 20+ digits, no number overflows a double or 64 bits: the
# parsed value is searched for one only when the body holds such a token (a string might, too).
# (Two searches: one alternation of both is ten times slower, ~40 ms on a 240 kB storyboard.)
_LONG_EXPONENT, _LONG_DIGITS = re.compile(rb"[eE]\+?0*[1-9]\d\d"), re.compile(rb"\d{20}")


class NotJSON(ValueError):
    """The body is not strict JSON; the message says what in it is not, and where."""


def parse_strict_json(body: bytes) -> Any:
    """The JSON value in `body`; `NotJSON` for NaN/Infinity, lone surrogates, deep nesting, numbers out of range."""
    try:
        value = from_json(body, allow_inf_nan=False)
    except ValueError as e:
        raise NotJSON(str(e)) from None
    if _LONG_EXPONENT.search(body) or _LONG_DIGITS.search(body):
        _check_numbers(value)
    return value


def _check_numbers(value: Any) -> None:
    """Every number finite and every integer within 64 bits (walked without recursion)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise NotJSON("a number is out of range (it would be infinite)")
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) >= MAX_INT:
            text = str(item) if abs(item) < 10**40 else f"{str(item)[:24]}..."
            raise NotJSON(f"the integer {text} is out of range (64 bits at most)")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


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
