"""A content-addressed cache of rendered jobs.

Each finished job (a keyframe request or an infill window) is stored under a
key that hashes everything that determines its pixels: the renderer's
fingerprint, the scene text and cast, the frame specs (times, boxes,
captions), the size, the seed, and the keys of the frames it was conditioned
on. So an interrupted render resumes where it stopped, and an edited
storyboard re-renders only the jobs whose inputs changed (and the windows
that depend on them).

Entries are written through `director.atomic` (a temporary name, then a
rename), so a killed process never leaves a half-written entry under its key,
and the next store into the same folder removes the temporary files a killed
process left. An entry is a zip of the frames (`frames.npy`) and a small
record of them (`entry.json`: shape, dtype and the SHA-256 of the pixels), so
an entry that was truncated, zeroed, bit-flipped or replaced by other frames
is caught when it is checked (`check`) or read (`load`): it is removed and
treated as missing, and the render makes that job again. Several processes
may share one cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from director.atomic import remove_stale_partials_in, replacing

CACHE_FORMAT = 2  # bump when the key recipe or the file layout changes (2: entries carry entry.json)


class CacheEntryWarning(UserWarning):
    """A cached job could not be used (unreadable, or not the frames its key promises) and is made again."""


def content_key(content: Any) -> str:
    """SHA-256 of the canonical JSON of `content` (sorted keys, no whitespace)."""
    text = json.dumps({"cache_format": CACHE_FORMAT, "content": content}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def frames_digest(frames: np.ndarray) -> str:
    """SHA-256 of a frame array's dtype, shape and pixels."""
    digest = hashlib.sha256(f"{frames.dtype.str}{frames.shape}".encode())
    digest.update(np.ascontiguousarray(frames).data)
    return digest.hexdigest()


@dataclass(frozen=True)
class BadEntry:
    """A cache entry that exists but cannot be used, and why."""

    key: str
    reason: str


class _Unusable(Exception):
    """Raised inside the cache when an entry's file exists but is not what its key promises."""


class FrameCache:
    """Rendered jobs on disk: key -> frames (frames, height, width, 3) uint8."""

    def __init__(self, root: str | os.PathLike[str], jobs_in_memory: int = 6) -> None:
        self.root = Path(root)
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._jobs_in_memory = jobs_in_memory
        self._swept: set[Path] = set()  # folders whose stale partial files this cache has removed

    def path(self, key: str) -> Path:
        return self.root / "jobs" / key[:2] / f"{key}.npz"

    def has(self, key: str) -> bool:
        """Whether an entry exists under `key` (not whether it is readable: see `check`)."""
        return self.path(key).is_file()

    def check(self, key: str, shape: tuple[int, ...]) -> BadEntry | bool:
        """Whether `key` holds good frames of `shape` (uint8): True; False if there is no entry; a `BadEntry`
        (and the entry is removed) if there is one that is unreadable, corrupt or of another shape.
        Reads the whole entry: a checksum is the only way to know the pixels are the ones stored."""
        try:
            self._read(key, tuple(shape))
        except FileNotFoundError:
            return False
        except _Unusable as e:
            return self._forget(key, str(e))
        return True

    def store(self, key: str, frames: np.ndarray) -> None:
        """Write atomically: a temporary file in the same folder, then a rename."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.parent not in self._swept:
            remove_stale_partials_in(path.parent)  # what killed writers left, once per folder
            self._swept.add(path.parent)
        frames = np.ascontiguousarray(frames)
        if frames.dtype.hasobject:
            raise TypeError(f"cannot cache frames of dtype {frames.dtype}: only plain arrays (uint8) are stored")
        record = {"format": CACHE_FORMAT, "shape": list(frames.shape), "dtype": frames.dtype.str, "sha256": frames_digest(frames)}
        with replacing(path, clean=False, suffix="") as tmp:  # not *.npz: a partial entry is not an entry
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
                archive.writestr("entry.json", json.dumps(record))
                with archive.open("frames.npy", "w") as member:
                    np.lib.format.write_array(member, frames, allow_pickle=False)

    def load(self, key: str) -> np.ndarray:
        """The frames stored under `key`; raises KeyError if missing or unusable (the entry is removed)."""
        if key in self._recent:
            self._recent.move_to_end(key)
            return self._recent[key]
        try:
            frames = self._read(key)
        except FileNotFoundError:
            raise KeyError(key) from None
        except _Unusable as e:
            self._forget(key, str(e))
            raise KeyError(key) from None
        self._recent[key] = frames
        if len(self._recent) > self._jobs_in_memory:
            self._recent.popitem(last=False)
        return frames

    def frame(self, key: str, position: int) -> np.ndarray:
        """One frame of a stored job (the job stays in a small in-memory LRU)."""
        return self.load(key)[position]

    def _read(self, key: str, expected: tuple[int, ...] | None = None) -> np.ndarray:
        """The verified frames of `key` (uint8, of the `expected` shape if given); FileNotFoundError if there
        is no entry, _Unusable if it is bad."""
        path = self.path(key)
        try:
            with zipfile.ZipFile(path) as archive:
                record = json.loads(archive.read("entry.json"))
                shape, dtype = tuple(record["shape"]), np.dtype(record["dtype"])
                if dtype != np.uint8 or (expected is not None and shape != expected):
                    wanted = "" if expected is None else f" {expected}"
                    raise _Unusable(f"holds {dtype} frames of shape {shape}, not the uint8{wanted} its job makes")
                with archive.open("frames.npy") as member:
                    version = np.lib.format.read_magic(member)
                    header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                    stored_shape, fortran, stored_dtype = header(member)
                    if (stored_shape, fortran, stored_dtype) != (shape, False, dtype):
                        raise _Unusable(f"its frames ({stored_dtype} {stored_shape}) are not the ones it records ({dtype} {shape})")
                    frames = np.empty(shape, dtype)
                    _read_exactly(member, memoryview(frames).cast("B"))
                    if member.read(1):
                        raise _Unusable("has bytes after its frames")
            digest = record["sha256"]
        except (FileNotFoundError, _Unusable):
            raise
        except Exception as e:  # a damaged zip fails in many ways (BadZipFile, zlib.error, EOFError, KeyError ...)
            raise _Unusable(f"cannot be read ({type(e).__name__}: {e})") from None
        if frames_digest(frames) != digest:
            raise _Unusable("its frames do not match their checksum")
        return frames

    def _forget(self, key: str, reason: str) -> BadEntry:
        self.path(key).unlink(missing_ok=True)
        self._recent.pop(key, None)
        return BadEntry(key, reason)


def _read_exactly(member: Any, buffer: memoryview) -> None:
    filled = 0
    while filled < len(buffer):
        count = member.readinto(buffer[filled:])
        if not count:
            raise _Unusable(f"is truncated ({filled} of {len(buffer)} bytes of frames)")
        filled += count
