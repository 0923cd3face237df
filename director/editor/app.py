"""The editor's web app: one static page and a small JSON API over a `Project`.

    app = create_app(Project.open("my_film"))       # then: uvicorn.run(app, host="127.0.0.1", port=8765)

The page (`static/`) keeps the storyboard being edited in the browser and
talks to these endpoints:

| endpoint | does |
|---|---|
| `GET  /api/project` | the current storyboard, its version, history, renderers, planners, render status |
| `POST /api/validate` | errors of a draft storyboard, by field (nothing is written) |
| `POST /api/storyboard` | save a draft as a new version; 409 if `base_version` is not the current one, 422 with field errors if invalid |
| `POST /api/undo`, `/api/redo`, `/api/history/{id}/restore` | move through the saved versions |
| `POST /api/preview` | PNG of one animatic frame of a draft scene |
| `POST /api/replan` | a draft with one scene planned again (not saved) |
| `POST /api/cast/rename`, `/merge`, `/split` | a draft with the cast edit applied everywhere (not saved) |
| `POST /api/shots/add`, `/split`, `/delete`, `/update` | a draft with one scene's shots edited, still covering it (not saved) |
| `POST /api/render`, `GET /api/render` | start rendering the current version; its progress |
| `POST /api/export` | a zip of the storyboard, script and renders, under `exports/` |
| `POST /api/export/pdf` | the printed storyboard (`board_pdf`), Letter or A4, under `exports/` |
| `GET  /files/renders/...`, `/files/exports/...` | the movie and the files beside it |

Guards, in `RequestGuard`: request bodies are size-limited; the Host header
must be one the server was started for (DNS-rebinding defence); a request
from another origin may not change anything; with an access token, every
request must carry it (the URL printed at start-up sets it as a cookie).
Every file path goes through `Project.path`, which refuses to leave the
project folder (the export too: a symlink out of `renders/` is left out).
Request bodies are read as strict JSON (`json_body`): NaN, Infinity, numbers
out of range and lone surrogates are a 422, not a server error later. Plug-in
names in a request must be ones the server offers (`registry.available`, and
the renderer and planner it was started with): a request never names a
`module:attribute` to import.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import Field, ValidationError
from starlette.exceptions import HTTPException

from director import registry
from director.editor import cast as cast_edits
from director.editor import shots as shot_edits
from director.editor.json_body import StrictJSONRoute
from director.editor.preview import identity_colors, png_bytes, preview_board, preview_frame, preview_size, preview_view
from director.editor.project import BOARD_FILE, EXPORTS_DIR, MOVIE_FILE, RENDERED_BOARD_FILE, RENDERS_DIR, Project, VersionConflict
from director.editor.render_job import RenderRunner, stale_scenes
from director.editor.replan import replan_scene
from director.editor.validation import StoryboardInvalid, field_errors, validate_storyboard
from director.errors import InputError
from director.atomic import publish
from director.storyboard import MOVE_DIRECTIONS, Entity, Identifier, MoveKind, Scene, ShotAngle, ShotSize, Storyboard, StrictModel

STATIC = Path(__file__).resolve().parent / "static"
SHOT_OPTIONS = {
    "sizes": list(get_args(ShotSize)),
    "angles": list(get_args(ShotAngle)),
    "moves": {kind: list(MOVE_DIRECTIONS.get(kind, ())) for kind in get_args(MoveKind)},
}
"""What the page's shot controls offer, from the storyboard's own types (a move kind -> its directions)."""
MAX_BODY_BYTES = 4 * 1024 * 1024  # a long film's storyboard is a few hundred kB; 4 MiB leaves room
TOKEN_COOKIE = "director_token"

# -- request bodies ----------------------------------------------------------------------------------

Draft = Annotated[dict[str, Any], Field(description="A storyboard as JSON, validated by the endpoint.")]


class ValidateRequest(StrictModel):
    storyboard: Draft


class SaveRequest(StrictModel):
    storyboard: Draft
    base_version: Annotated[int, Field(description="The version the edit started from.")]
    message: Annotated[str, Field(max_length=200, description="What the edit did; made up from the change if empty.")] = ""


class VersionRequest(StrictModel):
    base_version: int


class PreviewRequest(StrictModel):
    scene: dict[str, Any]
    entities: list[dict[str, Any]]
    fps: Annotated[int, Field(ge=1, le=120)]
    width: Annotated[int, Field(ge=16, le=7680)]
    height: Annotated[int, Field(ge=16, le=4320)]
    style: str = ""
    t: Annotated[float, Field(ge=0.0, description="Seconds into the scene.")] = 0.0
    max_width: Annotated[int, Field(ge=32, le=1920, description="Scale the frame down to this width.")] = 512
    layers: Annotated[Literal["all", "backdrop"], Field(description="The whole frame, or only the painted setting.")] = "all"


class ReplanRequest(StrictModel):
    storyboard: Draft
    scene_id: Identifier
    planner: str = "rules"


class RenameRequest(StrictModel):
    storyboard: Draft
    entity_id: Identifier
    name: str | None = None
    new_id: str | None = None


class MergeRequest(StrictModel):
    storyboard: Draft
    keep: Identifier
    absorb: Identifier


class SplitRequest(StrictModel):
    storyboard: Draft
    entity_id: Identifier
    scene_ids: list[Identifier]
    name: Annotated[str, Field(min_length=1, max_length=100)]


class ShotAtRequest(StrictModel):
    storyboard: Draft
    scene_id: Identifier
    at: Annotated[float, Field(ge=0.0, description="Seconds into the scene: the playhead.")]


class ShotRequest(StrictModel):
    storyboard: Draft
    scene_id: Identifier
    shot_id: Identifier


class ShotUpdateRequest(ShotRequest):
    changes: Annotated[dict[str, Any], Field(description="New values of the shot's size, angle, pov, move, subjects, description.")]


class PdfRequest(StrictModel):
    paper: Annotated[Literal["letter", "a4"], Field(description="US Letter or A4, landscape.")] = "letter"


class RenderRequest(StrictModel):
    renderer: str = "animatic"
    base_version: Annotated[int, Field(description="The version the page shows; the render is of that version.")]


# -- the app ----------------------------------------------------------------------------------------


def create_app(
    project: Project,
    *,
    token: str | None = None,
    allowed_hosts: list[str] | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    planner: str = "rules",
    renderer: str = "animatic",
) -> FastAPI:
    """The editor app for `project`. `allowed_hosts`: Host header values to accept (None: any)."""
    app = FastAPI(title="director editor", docs_url=None, redoc_url=None, openapi_url=None)
    app.router.route_class = StrictJSONRoute  # before any route is added
    runner = RenderRunner(project)
    app.state.project, app.state.runner = project, runner
    # The names a request may use: registered plug-ins (entry points are read once: it is slow-ish) and the
    # ones the server was started with, which the command line may give as 'module:attribute'.
    planners = sorted(set(registry.available("planner")) | {planner})
    renderers = sorted(set(registry.available("renderer")) | {renderer})

    # -- errors as JSON the page can show ---------------------------------------------------------

    @app.exception_handler(StoryboardInvalid)
    def _invalid(request: Request, error: StoryboardInvalid) -> JSONResponse:
        return JSONResponse({"detail": str(error), "errors": [e.model_dump() for e in error.errors]}, status_code=422)

    @app.exception_handler(VersionConflict)
    def _conflict(request: Request, error: VersionConflict) -> JSONResponse:
        return JSONResponse({"detail": str(error), "current_version": error.current}, status_code=409)

    @app.exception_handler(InputError)
    def _input(request: Request, error: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=400)

    # -- the page ---------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def page(request: Request) -> Response:
        if token and request.query_params.get("token"):
            response = RedirectResponse("/", status_code=303)  # the token leaves the address bar for a cookie
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
            return response
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # -- state and history ------------------------------------------------------------------------

    def state() -> dict[str, Any]:
        with project.lock:
            on_line = set(project.undo_line)
            movie = project.path(MOVIE_FILE)
            return {
                "name": project.root.name,
                "root": str(project.root),
                "storyboard": project.board.model_dump(mode="json"),
                "colors": identity_colors(project.board),
                "version": project.version,
                "can_undo": project.can_undo,
                "can_redo": project.can_redo,
                "history": [
                    {**v.model_dump(), "on_line": v.id in on_line, "current": v.id == project.version}
                    for v in reversed(project.versions)
                ],
                "stale_scenes": stale_scenes(project),
                "movie": f"/files/{MOVIE_FILE}?v={int(movie.stat().st_mtime)}" if movie.is_file() else None,
                "render": runner.status.as_json(),
                "script": project.script_file.name if project.script_file else None,
                "planners": planners,
                "renderers": renderers,
                "planner": planner,
                "renderer": renderer,
                "max_body_bytes": max_body_bytes,
                "shot_options": SHOT_OPTIONS,
            }

    @app.get("/api/project")
    def get_project() -> dict[str, Any]:
        return state()

    @app.post("/api/validate")
    def validate(body: ValidateRequest) -> dict[str, Any]:
        try:
            validate_storyboard(body.storyboard)
        except StoryboardInvalid as e:
            return {"valid": False, "errors": [err.model_dump() for err in e.errors]}
        return {"valid": True, "errors": []}

    # Each change replies with the state it left, read before the lock is let go: a save from another tab
    # landing in between would otherwise be reported as this one's.

    @app.post("/api/storyboard")
    def save(body: SaveRequest) -> dict[str, Any]:
        board = validate_storyboard(body.storyboard)
        with project.lock:
            version = project.save(board, body.base_version, body.message)
            return {**state(), "saved": version is not None}

    @app.post("/api/undo")
    def undo(body: VersionRequest) -> dict[str, Any]:
        with project.lock:
            project.undo(body.base_version)
            return state()

    @app.post("/api/redo")
    def redo(body: VersionRequest) -> dict[str, Any]:
        with project.lock:
            project.redo(body.base_version)
            return state()

    @app.post("/api/history/{version_id}/restore")
    def restore(version_id: int, body: VersionRequest) -> dict[str, Any]:
        with project.lock:
            project.restore(version_id, body.base_version)
            return state()

    # -- previews ---------------------------------------------------------------------------------

    # `async` on purpose: a frame takes ~10 ms to draw, less than a hop to the thread pool costs on a
    # busy machine (measured: 8-23 ms async against 32-52 ms in a thread, benchmarks/bench_editor.py).
    @app.post("/api/preview")
    async def preview(body: PreviewRequest) -> Response:
        started = time.perf_counter()
        try:
            scene = Scene.model_validate(body.scene)
            cast = [Entity.model_validate(e) for e in body.entities]
            width, height = preview_size(body.width, body.height, body.max_width)
            board = preview_board(scene, cast, fps=body.fps, width=width, height=height, style=body.style)
        except ValidationError as e:
            raise StoryboardInvalid(field_errors(e)) from None
        image = preview_frame(board, body.t, backdrop_only=body.layers == "backdrop")
        shot, view = preview_view(board, body.t)
        drawn = time.perf_counter()
        data = png_bytes(image)
        timing = f"draw;dur={(drawn - started) * 1000:.1f}, png;dur={(time.perf_counter() - drawn) * 1000:.1f}"
        headers = {"Cache-Control": "no-store", "Server-Timing": timing, "X-Director-Shot": shot.id, "X-Director-View": f"{view.cx:.5f} {view.cy:.5f} {view.size:.5f}"}
        return Response(data, media_type="image/png", headers=headers)

    # -- edits the server makes on a draft (nothing is saved) ---------------------------------------

    @app.post("/api/replan")
    def replan(body: ReplanRequest) -> dict[str, Any]:
        board = validate_storyboard(body.storyboard)
        result = replan_scene(board, body.scene_id, offered("planner", body.planner, planners))
        return {**_draft(result.board), "added": result.added, "notes": result.notes}

    @app.post("/api/cast/rename")
    def rename(body: RenameRequest) -> dict[str, Any]:
        board = cast_edits.rename_entity(validate_storyboard(body.storyboard), body.entity_id, body.name, body.new_id or None)
        return _draft(board)

    @app.post("/api/cast/merge")
    def merge(body: MergeRequest) -> dict[str, Any]:
        board = cast_edits.merge_entities(validate_storyboard(body.storyboard), body.keep, body.absorb)
        return _draft(board)

    @app.post("/api/cast/split")
    def split(body: SplitRequest) -> dict[str, Any]:
        board = cast_edits.split_entity(validate_storyboard(body.storyboard), body.entity_id, body.scene_ids, body.name)
        return _draft(board)

    @app.post("/api/shots/add")
    def add_shot(body: ShotAtRequest) -> dict[str, Any]:
        board, shot_id = shot_edits.add_shot(validate_storyboard(body.storyboard), body.scene_id, body.at)
        return {**_draft(board), "shot": shot_id}

    @app.post("/api/shots/split")
    def split_shot(body: ShotAtRequest) -> dict[str, Any]:
        board, shot_id = shot_edits.split_shot(validate_storyboard(body.storyboard), body.scene_id, body.at)
        return {**_draft(board), "shot": shot_id}

    @app.post("/api/shots/delete")
    def delete_shot(body: ShotRequest) -> dict[str, Any]:
        return _draft(shot_edits.delete_shot(validate_storyboard(body.storyboard), body.scene_id, body.shot_id))

    @app.post("/api/shots/update")
    def update_shot(body: ShotUpdateRequest) -> dict[str, Any]:
        board = shot_edits.update_shot(validate_storyboard(body.storyboard), body.scene_id, body.shot_id, body.changes)
        return _draft(board)

    # -- render, play, export ---------------------------------------------------------------------

    @app.post("/api/render")
    def start_render(body: RenderRequest) -> dict[str, Any]:
        with project.lock:
            if body.base_version != project.version:
                raise VersionConflict(body.base_version, project.version)
            runner.start(offered("renderer", body.renderer, renderers))
            return runner.status.as_json()

    @app.get("/api/render")
    def render_status() -> dict[str, Any]:
        status = runner.status.as_json()
        movie = project.path(MOVIE_FILE)
        status["movie"] = f"/files/{MOVIE_FILE}?v={int(movie.stat().st_mtime)}" if movie.is_file() else None
        return status

    @app.post("/api/export")
    def export() -> dict[str, Any]:
        with project.lock:  # the board as it is now, not as storyboard.json may be by the time it is zipped
            version, board = project.version, project.board
        name = f"{EXPORTS_DIR}/{_slug(board.title)}-v{version}.zip"
        target = project.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        members, left_out = _export_members(project)
        fd, tmp = tempfile.mkstemp(prefix=".export.", suffix=".partial", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(BOARD_FILE, board.to_json())
                for relative, path in members:
                    archive.write(path, relative)
            publish(Path(tmp), target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return {"url": f"/files/{name}", "files": [BOARD_FILE, *(relative for relative, _ in members)], "left_out": left_out}

    @app.post("/api/export/pdf")
    def export_pdf(body: PdfRequest) -> dict[str, Any]:
        from director.board_pdf import write_board_pdf

        with project.lock:
            version, board = project.version, project.board
            movie = _movie_of(project, board)
        name = f"{EXPORTS_DIR}/{_slug(board.title)}-v{version}-{body.paper}.pdf"
        printed = write_board_pdf(board, project.path(name), paper=body.paper, movie=movie)
        if movie is None and project.path(MOVIE_FILE).is_file():
            printed.notes.append(f"the last render is not of v{version}: render it to print the movie's frames")
        return {"url": f"/files/{name}", "pages": printed.pages, "panels": printed.panels, "paper": body.paper, "notes": printed.notes}

    @app.get("/files/{relative:path}")
    def files(relative: str) -> FileResponse:
        if relative.split("/", 1)[0] not in (RENDERS_DIR, EXPORTS_DIR):
            return _not_found()
        try:
            path = project.path(relative)
            if not path.is_file():
                return _not_found()
        except (InputError, OSError):  # leads outside; or a name the file system refuses (too long ...)
            return _not_found()
        return FileResponse(path, headers={"Cache-Control": "no-cache"})

    app.add_middleware(RequestGuard, token=token, allowed_hosts=allowed_hosts, max_body_bytes=max_body_bytes)
    return app


def offered(kind: str, name: str, names: list[str]) -> str:
    """`name` if it is one of the plug-in `names` this editor offers; else an `InputError` listing them."""
    if name not in names:
        raise InputError(f"unknown {kind} {name!r}; this editor offers: {', '.join(names)}")
    return name


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower())[:60].strip("_") or "storyboard"  # a file name has room


def _movie_of(project: Project, board: Any) -> Path | None:
    """The rendered movie when it is of `board` (every scene and transition as rendered), else None."""
    movie = project.path(MOVIE_FILE)
    if stale_scenes(project) or not movie.is_file():
        return None
    try:
        rendered = Storyboard.load(project.path(RENDERED_BOARD_FILE))
    except InputError:
        return None
    same_cuts = [(s.id, s.transition) for s in rendered.scenes] == [(s.id, s.transition) for s in board.scenes]
    return movie if same_cuts else None


def _export_members(project: Project) -> tuple[list[tuple[str, Path]], list[str]]:
    """The script and the renders to zip beside the storyboard, as (name in the zip, file), each through the
    project's containment check; and the names left out because they lead outside the project."""
    names = [project.script_file.name] if project.script_file else []
    renders = project.path(RENDERS_DIR)
    if renders.is_dir():
        names += sorted(f"{RENDERS_DIR}/{p.name}" for p in renders.iterdir() if not p.name.startswith("."))
    members, left_out = [], []
    for relative in names:
        try:
            path = project.path(relative)
        except InputError:
            left_out.append(relative)
            continue
        if path.is_file():
            members.append((relative, path))
    return members, left_out


def _draft(board: Any) -> dict[str, Any]:
    """A storyboard the server made for the page to review (not saved), with its identity colours."""
    return {"storyboard": board.model_dump(mode="json"), "colors": identity_colors(board)}


def _not_found() -> Any:
    return JSONResponse({"detail": "not found"}, status_code=404)


class RequestGuard:
    """ASGI middleware: Host allow-list, same-origin writes, access token, body size limit."""

    def __init__(self, app: Any, *, token: str | None, allowed_hosts: list[str] | None, max_body_bytes: int) -> None:
        self.app, self.token, self.max_body_bytes = app, token, max_body_bytes
        self.allowed_hosts = {h.lower() for h in allowed_hosts} if allowed_hosts is not None else None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").lower()
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            await _reply(send, 400, f"unexpected Host header {host!r}")
            return
        origin = headers.get("origin")
        if scope["method"] not in ("GET", "HEAD") and origin and origin.split("://", 1)[-1].lower() != host:
            await _reply(send, 403, "requests from other sites may not change this project")
            return
        if self.token and not self._has_token(scope, headers):
            await _reply(send, 401, "this editor needs its access token: open the URL it printed at start-up")
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await _reply(send, 413, f"request body over {self.max_body_bytes} bytes")
            return
        received = 0

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:  # a body sent without a length: stop reading it
                    raise HTTPException(413, f"request body over {self.max_body_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)

    def _has_token(self, scope: dict, headers: dict[str, str]) -> bool:
        assert self.token is not None
        offered = [headers.get("x-director-token", "")]
        for part in headers.get("cookie", "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == TOKEN_COOKIE:
                offered.append(value)
        if scope["path"] == "/":  # the printed URL: /?token=...
            query = dict(p.partition("=")[::2] for p in scope.get("query_string", b"").decode("latin-1").split("&"))
            offered.append(query.get("token", ""))
        return any(hmac.compare_digest(o.encode(), self.token.encode()) for o in offered if o)


async def _reply(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
