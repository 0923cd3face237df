"""The editor's project folder: the storyboard, every saved version of it, renders and the cache.

    PROJECT/
      storyboard.json     the current storyboard; always a valid one (edits that do not validate are never written)
      script.fountain     the script it was planned from, when it was planned here (the script's own suffix)
      history/
        index.json        every version, and the undo line with the current position on it
        v000001.json ...  each saved version, as a whole storyboard
      renders/            movie.mp4 with movie.srt, movie.contact.png and movie.storyboard.json beside it
      exports/            zip bundles made by Export
      cache/              rendered jobs (`director.cache`); safe to delete, it only costs time

Every saved edit is a new version. Undo and redo move along the *undo line*
(the versions that led to the current one); saving after an undo starts a new
line from there, and the versions left behind stay in the history, so they
can still be restored. Nothing is ever deleted.

Saves carry the version they were based on (`base_version`): a save based on
anything but the current version is refused with `VersionConflict`, so two
tabs editing the same project never overwrite each other unseen.

Every path this module touches is checked to lie inside the project folder
(`Project.path`). `Project.lock` serialises changes between threads and, through
a file lock on `history/.lock`, between processes: two `director edit` servers
on one folder see each other's saves, and the version check holds across them.
"""

from __future__ import annotations

import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError

from director.errors import DirectorError, InputError, format_validation_error
from director.atomic import write_text_atomically
from director.storyboard import StrictModel, Storyboard

try:
    import fcntl  # advisory file locks; Windows has none, and then only threads are serialised
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

BOARD_FILE = "storyboard.json"
HISTORY_DIR = "history"
INDEX_FILE = "history/index.json"
RENDERS_DIR = "renders"
EXPORTS_DIR = "exports"
CACHE_DIR = "cache"
MOVIE_FILE = "renders/movie.mp4"
RENDERED_BOARD_FILE = "renders/movie.storyboard.json"
SCRIPT_SUFFIXES = (".fountain", ".spmd", ".txt", ".md", ".text")


class VersionConflict(DirectorError):
    """A save (or undo, redo, restore) was based on a version that is no longer the current one."""

    def __init__(self, base: int, current: int) -> None:
        super().__init__(
            f"this edit is based on version {base}, but version {current} was saved since "
            "(from another tab or window); load it, or save yours on top of it"
        )
        self.base, self.current = base, current


class Version(StrictModel):
    """One saved storyboard."""

    id: Annotated[int, Field(ge=1, description="1, 2, 3 ... in the order they were saved.")]
    time: Annotated[str, Field(description="When it was saved (ISO 8601, UTC).")]
    message: Annotated[str, Field(description="What changed: 'scene_2: layouts', 'undo', 'restored v3'.")] = ""


class HistoryIndex(StrictModel):
    versions: list[Version]
    line: Annotated[list[int], Field(min_length=1, description="The undo line: version ids, oldest first.")]
    position: Annotated[int, Field(ge=0, description="Index in `line` of the current version.")]


def inside(root: Path, relative: str | Path) -> Path:
    """`root / relative`, refusing anything that would lead outside `root` (.., absolute paths, symlinks out)
    or that no file system takes (a NUL)."""
    if "\x00" in str(relative):
        raise InputError(f"{str(relative)!r}: a path may not hold a NUL character")
    relative = Path(relative)
    if relative.is_absolute() or relative.drive or ".." in relative.parts:
        raise InputError(f"{str(relative)!r}: paths must stay inside the project folder")
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise InputError(f"{str(relative)!r}: leads outside the project folder")
    return target


class ProjectLock:
    """Re-entrant: a thread lock plus an advisory file lock (where the OS has one) held while changing the
    project; on first entry it picks up what another process saved meanwhile."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._file = None

    def __enter__(self) -> ProjectLock:
        self._thread_lock.acquire()
        self._depth += 1
        if self._depth == 1:
            try:
                self._lock_file()
                self.project._sync()
            except BaseException:
                self._depth -= 1
                self._unlock_file()
                self._thread_lock.release()
                raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._unlock_file()
        self._thread_lock.release()

    def _lock_file(self) -> None:
        if fcntl is None:
            return
        path = self.project.path(f"{HISTORY_DIR}/.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "a")  # noqa: SIM115 - held until __exit__
        fcntl.flock(self._file, fcntl.LOCK_EX)

    def _unlock_file(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class Project:
    """An open project folder. Methods that change it hold `lock`, so one server can serve many tabs."""

    def __init__(self, root: Path, index: HistoryIndex, board: Storyboard) -> None:
        self.root = root.resolve()
        self._index = index
        self._board = board
        self._index_stamp: tuple[int, int] | None = None
        self.lock = ProjectLock(self)

    # -- opening and creating --------------------------------------------------------------------

    @classmethod
    def open(cls, root: str | Path) -> Project:
        """Open an existing project folder; a storyboard changed on disk since the last save becomes a new version."""
        root = Path(root)
        if not root.is_dir():
            raise InputError(f"{root}: no such project folder")
        index = _read_index(root)
        board_path = inside(root, BOARD_FILE)
        if not board_path.is_file():
            if index is None:
                raise InputError(f"{root}: is not a director project (it has no {BOARD_FILE})")
            current = index.line[index.position]  # lost the board file: the history still has it
            shutil.copyfile(inside(root, _version_file(current)), board_path)
        try:
            board = Storyboard.load(board_path)
        except InputError as e:
            hint = ""
            if index is not None:
                hint = f"; the last version saved by the editor is {root / _version_file(index.line[index.position])}"
            raise InputError(f"{e}{hint}") from None
        project = cls(root, index or HistoryIndex(versions=[], line=[0], position=0), board)
        project._index_stamp = project._stamp()
        if index is None:
            project._record(board, "opened in the editor", new_line=True)
        elif project.load_version(project.version) != board:
            project._record(board, "changed outside the editor")
        return project

    @classmethod
    def create(cls, root: str | Path, board: Storyboard, script: str | Path | None = None) -> Project:
        """Make a new project folder holding `board` (and a copy of the script it came from)."""
        root = Path(root)
        if (root / BOARD_FILE).exists() or (root / BOARD_FILE).is_symlink():
            raise InputError(f"{root}: already holds a project; open it with `director edit {root}`")
        root.mkdir(parents=True, exist_ok=True)
        if script is not None:
            script = Path(script)
            suffix = script.suffix.lower() if script.suffix.lower() in SCRIPT_SUFFIXES else ".txt"
            shutil.copyfile(script, inside(root, f"script{suffix}"))
        board.save(inside(root, BOARD_FILE))
        return cls.open(root)

    # -- reading ---------------------------------------------------------------------------------

    def path(self, relative: str | Path) -> Path:
        """A path inside the project folder; anything leading out of it is an `InputError`."""
        return inside(self.root, relative)

    @property
    def board(self) -> Storyboard:
        return self._board

    @property
    def version(self) -> int:
        return self._index.line[self._index.position]

    @property
    def can_undo(self) -> bool:
        return self._index.position > 0

    @property
    def can_redo(self) -> bool:
        return self._index.position < len(self._index.line) - 1

    @property
    def versions(self) -> list[Version]:
        return list(self._index.versions)

    @property
    def undo_line(self) -> list[int]:
        return list(self._index.line)

    def load_version(self, version_id: int) -> Storyboard:
        if not any(v.id == version_id for v in self._index.versions):
            raise InputError(f"there is no version {version_id}")
        return Storyboard.load(self.path(_version_file(version_id)))

    @property
    def script_file(self) -> Path | None:
        """The script the storyboard was planned from, if the project holds one (a symlink out of it does not count)."""
        for suffix in SCRIPT_SUFFIXES:
            try:
                path = self.path(f"script{suffix}")
            except InputError:
                continue
            if path.is_file():
                return self.root / f"script{suffix}"
        return None

    # -- changing --------------------------------------------------------------------------------

    def save(self, board: Storyboard, base_version: int, message: str = "") -> Version | None:
        """Save `board` as a new version; None when it equals the current one (nothing to save)."""
        with self.lock:
            self._check_base(base_version)
            if board == self._board:
                return None
            return self._record(board, message or describe_change(self._board, board))

    def undo(self, base_version: int) -> int:
        """Go back one version on the undo line; returns the version now current."""
        with self.lock:
            self._check_base(base_version)
            if not self.can_undo:
                raise InputError("there is nothing to undo")
            return self._move(self._index.position - 1)

    def redo(self, base_version: int) -> int:
        with self.lock:
            self._check_base(base_version)
            if not self.can_redo:
                raise InputError("there is nothing to redo")
            return self._move(self._index.position + 1)

    def restore(self, version_id: int, base_version: int) -> Version | None:
        """Make an older version (any, even one off the undo line) current, as a new version."""
        with self.lock:
            self._check_base(base_version)
            return self.save(self.load_version(version_id), base_version, f"restored v{version_id}")

    def _check_base(self, base_version: int) -> None:
        if base_version != self.version:
            raise VersionConflict(base_version, self.version)

    def _move(self, position: int) -> int:
        version_id = self._index.line[position]
        board = self.load_version(version_id)
        index = self._index.model_copy(update={"position": position})
        write_text_atomically(self.path(BOARD_FILE), board.to_json())
        self._write_index(index)
        self._index, self._board = index, board
        return version_id

    def _record(self, board: Storyboard, message: str, new_line: bool = False) -> Version:
        """Write `board` as the next version, the board file, then the index (each atomically).

        A crash between the writes leaves a board file newer than the index says; `open` then
        records it as a version, so nothing saved is lost."""
        version = Version(
            id=max((v.id for v in self._index.versions), default=0) + 1,
            time=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            message=message,
        )
        text = board.to_json()
        write_text_atomically(self.path(_version_file(version.id)), text)
        write_text_atomically(self.path(BOARD_FILE), text)
        line = [version.id] if new_line else self._index.line[: self._index.position + 1] + [version.id]
        index = HistoryIndex(versions=[*self._index.versions, version], line=line, position=len(line) - 1)
        self._write_index(index)
        self._index, self._board = index, board
        return version

    def _write_index(self, index: HistoryIndex) -> None:
        write_text_atomically(self.path(INDEX_FILE), index.model_dump_json(indent=1) + "\n")
        self._index_stamp = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path(INDEX_FILE).stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_ino)

    def _sync(self) -> None:
        """Pick up versions another process saved since we last wrote or read the index."""
        stamp = self._stamp()
        if stamp is None or stamp == self._index_stamp:
            return
        index = _read_index(self.root)
        if index is not None and index != self._index:
            self._index = index
            self._board = Storyboard.load(self.path(_version_file(index.line[index.position])))
        self._index_stamp = stamp


def _version_file(version_id: int) -> str:
    return f"{HISTORY_DIR}/v{version_id:06d}.json"


def _read_index(root: Path) -> HistoryIndex | None:
    path = inside(root, INDEX_FILE)
    if not path.is_file():
        return None
    try:
        index = HistoryIndex.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as e:
        detail = format_validation_error(e) if isinstance(e, ValidationError) else str(e)
        raise InputError(f"{path}: the editor's history index is damaged ({detail})") from None
    known = {v.id for v in index.versions}
    if index.position >= len(index.line) or not set(index.line) <= known:
        raise InputError(f"{path}: the editor's history index is damaged (its undo line names unknown versions)")
    for version_id in index.line:
        if not inside(root, _version_file(version_id)).is_file():
            raise InputError(f"{path}: the history names version {version_id}, but {_version_file(version_id)} is missing")
    return index


def describe_change(old: Storyboard, new: Storyboard) -> str:
    """A short message for the history: which scenes, cast members and settings an edit changed."""
    parts: list[str] = []
    settings = [k for k in ("title", "fps", "width", "height", "style") if getattr(old, k) != getattr(new, k)]
    if settings:
        parts.append("settings: " + ", ".join(settings))
    old_cast, new_cast = {e.id: e for e in old.entities}, {e.id: e for e in new.entities}
    cast = [f"+{i}" for i in new_cast if i not in old_cast] + [f"-{i}" for i in old_cast if i not in new_cast]
    cast += [i for i in new_cast if i in old_cast and old_cast[i] != new_cast[i]]
    if cast:
        parts.append("cast: " + ", ".join(cast))
    old_scenes, new_scenes = {s.id: s for s in old.scenes}, {s.id: s for s in new.scenes}
    for scene_id, scene in new_scenes.items():
        before = old_scenes.get(scene_id)
        if before is None:
            parts.append(f"+{scene_id}")
        elif before != scene:
            fields = [name for name in type(scene).model_fields if getattr(before, name) != getattr(scene, name)]
            parts.append(f"{scene_id}: " + ", ".join(fields))
    parts += [f"-{scene_id}" for scene_id in old_scenes if scene_id not in new_scenes]
    if [s.id for s in old.scenes] != [s.id for s in new.scenes] and set(old_scenes) == set(new_scenes):
        parts.append("scene order")
    message = "; ".join(parts) or "no visible change"
    return message if len(message) <= 120 else message[:117] + "..."


def open_project(target: str | Path, project: str | Path | None = None, planner: str = "rules") -> tuple[Project, str]:
    """Open what `director edit TARGET` was given; returns the project and a line saying what happened.

    - a project folder: opened;
    - a storyboard (.json): copied into a new project folder (`--project`, or TARGET without its
      suffix + '.director' beside it), or that folder opened if it already exists;
    - a script: planned with `planner` into a new project folder the same way.
    """
    target = Path(target)
    if target.is_dir():
        return Project.open(target), f"opened {target}"
    if not target.is_file():
        raise InputError(f"{target}: no such project folder, storyboard or script")
    if target.name == BOARD_FILE and (target.parent / HISTORY_DIR).is_dir():
        return Project.open(target.parent), f"opened {target.parent}"
    root = Path(project) if project is not None else target.with_name(target.stem + ".director")
    if (root / BOARD_FILE).exists():
        return Project.open(root), f"opened the existing project {root} (made from {target.name} earlier)"
    if target.suffix.lower() == ".json":
        return Project.create(root, Storyboard.load(target)), f"made the project {root} from {target.name}"
    from director.api import Director

    board = Director(planner=planner).plan_file(target)
    return Project.create(root, board, script=target), f"planned {target.name} with the {planner} planner into {root}"
