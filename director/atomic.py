"""Atomic writes: a file appears under its final name complete, or not at all.

Every writer in director (the movie and the files beside it, the render state
file, cache entries, storyboards, the editor's project files) writes to a
temporary file in the destination's own folder, so the final rename is atomic,
and renames it into place only once it is complete.

Temporary files are named `.NAME.OWNER.RANDOM.partial[SUFFIX]`: `NAME` is the
destination's name and `OWNER` (`p<pid>h<host>`) the process writing it. A
process that is killed outright (SIGKILL, out of memory, power loss) cannot
remove its own, so the next write of the same destination removes them: those
whose owner is a process of this machine that no longer runs, and those older
than `STALE_AFTER` seconds (written from another machine sharing the folder, or
unnamed by an older director). A partial file of a process that is still
running is never touched, so two renders may share a folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STALE_AFTER = 24 * 3600.0
"""Seconds after which a partial file whose owner cannot be checked (another machine's) counts as abandoned."""

_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "surrogateescape")).hexdigest()[:8]

# What follows `.NAME.` in a temporary file's name: an optional owner, mkstemp's random part, `.partial`, a suffix.
_PARTIAL_TAIL = re.compile(r"(?:p(?P<pid>\d+)h(?P<host>[0-9a-f]{8})\.)?[A-Za-z0-9_]+\.partial(?:\.[A-Za-z0-9_]+)?")
_ANY_PARTIAL = re.compile(r"\..+?\.(?P<tail>(?:p\d+h[0-9a-f]{8}\.)?[A-Za-z0-9_]+\.partial(?:\.[A-Za-z0-9_]+)?)")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _umask()


def owner() -> str:
    """This process, as temporary file names carry it: `p<pid>h<host hash>`."""
    return f"p{os.getpid()}h{_HOST}"


def partial_path(final: Path, suffix: str | None = None) -> Path:
    """A new, empty, private temporary file beside `final`, named as its partial file, ending in `suffix`
    (default: `final`'s, for writers that pick a format by it)."""
    suffix = final.suffix if suffix is None else suffix
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.{owner()}.", suffix=f".partial{suffix}", dir=final.parent)
    os.close(fd)
    return Path(name)


def publish(tmp: Path, final: Path) -> None:
    """Rename a finished temporary file onto its final name, with ordinary permissions
    (temporary files are created private)."""
    os.chmod(tmp, 0o666 & ~_UMASK)
    os.replace(tmp, final)


@contextmanager
def replacing(final: Path, *, clean: bool = True, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside `final` to write to; renamed onto `final` when the block ends without an error
    (unless the block removed it), removed when it fails. With `clean`, the stale partial files earlier,
    killed writes of `final` left are removed first; `suffix` is the temporary name's ending (see
    `partial_path`). Nested blocks rename in the order they exit."""
    if clean:
        remove_stale_partials(final)
    tmp = partial_path(final, suffix)
    try:
        yield tmp
        if tmp.exists():
            publish(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def remove_stale_partials(final: Path) -> list[Path]:
    """Remove the partial files of `final` whose writer is gone (see the module docstring); return them."""
    return _remove_stale(final.parent, f".{final.name}.")


def remove_stale_partials_in(folder: Path) -> list[Path]:
    """Remove every stale partial file in `folder`, whatever its destination (for folders director alone
    writes, like a cache's)."""
    return _remove_stale(folder, ".")


def _remove_stale(folder: Path, prefix: str) -> list[Path]:
    removed = []
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(prefix) or ".partial" not in entry.name:
            continue
        tail = _tail(entry.name, prefix)
        if tail is None:
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue  # its writer renamed or removed it just now
        if _abandoned(tail, age):
            path = Path(entry.path)
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _tail(name: str, prefix: str) -> re.Match[str] | None:
    """The owner / random / suffix part of a partial file's name: after an exact prefix, or (prefix '.')
    after the shortest destination name that leaves a well-formed tail."""
    if prefix != ".":
        return _PARTIAL_TAIL.fullmatch(name, len(prefix))
    match = _ANY_PARTIAL.fullmatch(name)
    return None if match is None else _PARTIAL_TAIL.fullmatch(name, match.start("tail"))


def _abandoned(tail: re.Match[str], age: float) -> bool:
    if tail["pid"] is not None and tail["host"] == _HOST:
        return not _running(int(tail["pid"]))
    return age > STALE_AFTER


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
