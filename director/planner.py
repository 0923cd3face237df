"""The planner protocol: a `Script` in, a valid `Storyboard` out."""

from __future__ import annotations

from typing import Annotated, Protocol, runtime_checkable

from pydantic import Field

from director.script import Script
from director.storyboard import StrictModel, Storyboard


class PlanOptions(StrictModel):
    """What every planner is told besides the script."""

    fps: Annotated[int, Field(ge=1, le=120, description="Frames per second of the movie.")] = 12
    width: Annotated[int, Field(ge=16, le=7680, multiple_of=2, description="Movie width in pixels.")] = 512
    height: Annotated[int, Field(ge=16, le=4320, multiple_of=2, description="Movie height in pixels.")] = 288
    seed: Annotated[int, Field(description="Seed for planners that sample.")] = 0
    style: Annotated[str, Field(description="Visual style for every scene.")] = ""
    title: Annotated[str | None, Field(description="Overrides the script's own title.")] = None


@runtime_checkable
class Planner(Protocol):
    name: str

    def plan(self, script: Script, options: PlanOptions) -> Storyboard:
        """Turn a script into a storyboard; raise `InputError` if the script cannot be planned."""
        ...
