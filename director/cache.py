"""A content-addressed cache of rendered jobs.

Each finished job (a keyframe request or an infill window) is stored under a
key that hashes everything that determines its pixels: the renderer's
fingerprint, the scene text and cast, the frame specs (times, boxes,
captions), the size, the seed, and the keys of the frames it was conditioned
on. So an interrupted render resumes where it stopped, and an edited
storyboard re-renders only the jobs whose inputs changed (and the windows
that depend on them).

Files are written to a temporary name and renamed into place, so a killed
process never leaves a half-written entry; an entry that cannot be read is
treated as missing and rendered again. Several processes may share one cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

CACHE_FORMAT = 1  # bump when the key recipe or the file layout changes


def content_key(content: Any) -> str:
    """SHA-256 of the canonical JSON of `content` (sorted keys, no whitespace)."""
    text = json.dumps({"cache_format": CACHE_FORMAT, "content": content}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class FrameCache:
    """Rendered jobs on disk: key -> frames (frames, height, width, 3) uint8."""

    def __init__(self, root: str | os.PathLike[str], jobs_in_memory: int = 6) -> None:
        self.root = Path(root)
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._jobs_in_memory = jobs_in_memory

    def path(self, key: str) -> Path:
        return self.root / "jobs" / key[:2] / f"{key}.npz"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def store(self, key: str, frames: np.ndarray) -> None:
        """Write atomically: a temporary file in the same folder, then a rename."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:12]}.", suffix=".partial", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
                with archive.open("frames.npy", "w") as member:
                    np.lib.format.write_array(member, np.ascontiguousarray(frames), allow_pickle=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, key: str) -> np.ndarray:
        """The frames stored under `key`; raises KeyError if missing or unreadable (the entry is removed)."""
        if key in self._recent:
            self._recent.move_to_end(key)
            return self._recent[key]
        path = self.path(key)
        try:
            with np.load(path, allow_pickle=False) as archive:
                frames = archive["frames"]
        except FileNotFoundError:
            raise KeyError(key) from None
        except (OSError, ValueError, zipfile.BadZipFile, KeyError):
            path.unlink(missing_ok=True)  # corrupt: forget it, it will be rendered again
            raise KeyError(key) from None
        self._recent[key] = frames
        if len(self._recent) > self._jobs_in_memory:
            self._recent.popitem(last=False)
        return frames

    def frame(self, key: str, position: int) -> np.ndarray:
        """One frame of a stored job (the job stays in a small in-memory LRU)."""
        return self.load(key)[position]
