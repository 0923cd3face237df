"""Check every path a command will write before it does any work.

A command that fails half way through must not leave some of its files
written, and no output may land on one of the command's inputs (`director plan
s.fountain -o s.fountain` would replace the screenplay with JSON). So each
command lists its inputs and everything it will write (the movie and the files
beside it, a report and its plot, a cache folder) and calls `check_outputs`
first: it writes nothing, and raises `InputError` naming the first path that
cannot be written or that is an input.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from director.errors import InputError


@dataclass(frozen=True)
class Output:
    """A path a command writes: a `file` (replaced atomically) or a `folder` it creates and fills.
    `role` says what it is in messages: 'the storyboard', 'the subtitles beside the movie'."""

    path: Path
    role: str
    kind: str = "file"


@dataclass(frozen=True)
class Input:
    """A path a command reads, with what it is in messages: 'the script', 'the storyboard'."""

    path: Path
    role: str


def movie_outputs(movie: Path) -> list[Output]:
    """A rendered movie and everything written beside it: subtitles, contact sheet, storyboard, render state."""
    from director.assemble import sidecar_paths
    from director.state import state_path

    sidecars = sidecar_paths(movie)
    return [
        Output(movie, "the movie"),
        Output(sidecars["subtitles"], f"the subtitles written beside {movie.name}"),
        Output(sidecars["contact_sheet"], f"the contact sheet written beside {movie.name}"),
        Output(sidecars["storyboard"], f"the storyboard written beside {movie.name}"),
        Output(state_path(movie), f"the render state written beside {movie.name}"),
    ]


def check_outputs(outputs: Iterable[Output], inputs: Iterable[Input] = ()) -> None:
    """Raise `InputError` unless every output can be written and none of them is an input or another output.
    Writes nothing: folders that do not exist yet are checked at the nearest one that does."""
    inputs = [i for i in inputs if i.path is not None]
    seen: list[Output] = []
    for output in outputs:
        for source in inputs:
            if _same_file(output.path, source.path):
                raise InputError(
                    f"{output.path}: {output.role} would be written over {source.role} ({source.path}); "
                    f"choose another output path"
                )
        for earlier in seen:
            if _same_file(output.path, earlier.path):
                raise InputError(f"{output.path}: is both {earlier.role} and {output.role}; choose another output path")
        _check_writable(output)
        seen.append(output)


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same after resolving links, or (both existing) one inode."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL in a name: not the same file
        return False


def _check_writable(output: Output) -> None:
    try:
        _check_path(output)
    except OSError as e:  # a name too long, a loop of links ...
        raise InputError(f"{output.path}: {output.role} cannot be written there ({e.strerror or e})") from None
    except ValueError as e:  # a NUL in the name
        raise InputError(f"{output.path!r}: {output.role} cannot be written there ({e})") from None


def _check_path(output: Output) -> None:
    path = output.path
    if path.exists() or path.is_symlink():
        if output.kind == "file" and path.is_dir():
            raise InputError(f"{path}: is a folder; {output.role} must be a file path")
        if output.kind == "folder" and not path.is_dir():
            raise InputError(f"{path}: is a file; {output.role} must be a folder")
        if output.kind == "folder":
            _check_folder_writable(path, output)
            return
    folder, missing = path.parent, []
    while not folder.exists():
        if folder.is_symlink():
            raise InputError(f"{folder}: is a broken link, so {output.role} ({path}) cannot be written")
        folder, missing = folder.parent, [folder.name, *missing]
    if not folder.is_dir():
        raise InputError(f"{folder}: is a file, not a folder, so {output.role} ({path}) cannot be written inside it")
    _check_names(folder, [*missing, path.name], output)
    _check_folder_writable(folder, output)


def _check_names(folder: Path, names: list[str], output: Output) -> None:
    """The folders still to be made, and the temporary name the file is first written under
    (`.NAME.XXXXXXXX.partial.SUFFIX`, see storyboard.write_text_atomically), must fit the file system's names."""
    try:
        longest = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        longest = 255
    *folders, name = names
    temporary = f".{name}.XXXXXXXX.partial{Path(name).suffix}" if output.kind == "file" else name
    for part in (*folders, temporary):
        if len(os.fsencode(part)) > longest:
            raise InputError(f"{output.path}: the name {part[:40]!r}... is longer than this file system allows ({longest} bytes)")


def _check_folder_writable(folder: Path, output: Output) -> None:
    """Create and remove a temporary file in `folder`: the one test that is true for read-only mounts,
    permissions and whoever runs it (os.access says yes to root on a read-only folder)."""
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".director-write-check."):
            pass
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise InputError(f"{folder}: cannot write here ({reason}), so {output.role} ({output.path}) cannot be written") from None
