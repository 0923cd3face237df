"""Atomic writes: complete files or none, and the partial files of killed writers removed by the next write."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from director.atomic import STALE_AFTER, owner, remove_stale_partials, replacing, write_text_atomically
from director.cache import FrameCache


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def partial(folder, name, who, random="x1y2z3"):
    path = folder / f".{name}.{who}.{random}.partial{os.path.splitext(name)[1]}"
    path.write_bytes(b"half a file")
    return path


def test_a_write_replaces_the_file_whole_and_leaves_no_partial_file(tmp_path):
    target = tmp_path / "board.json"
    write_text_atomically(target, "one")
    write_text_atomically(target, "two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.json"]


def test_a_failed_write_leaves_the_old_file_and_no_partial_file(tmp_path):
    target = tmp_path / "movie.mp4"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_bytes(b"new, half")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["movie.mp4"]


def test_the_next_write_removes_the_partial_files_of_dead_writers_only(tmp_path):
    host = owner().split("h", 1)[1]
    dead = partial(tmp_path, "movie.mp4", f"p{dead_pid()}h{host}")
    live = partial(tmp_path, "movie.mp4", owner(), "abc")  # this process: still running
    other_host = partial(tmp_path, "movie.mp4", f"p{dead_pid()}h{'0' * 8 if host != '0' * 8 else '1' * 8}", "def")
    unnamed_old = tmp_path / ".movie.mp4.k2j4h5.partial.mp4"  # an older director's name: no owner
    unnamed_old.write_bytes(b"")
    os.utime(unnamed_old, (time.time() - STALE_AFTER - 60,) * 2)
    someone_elses = partial(tmp_path, "other.mp4", f"p{dead_pid()}h{host}")  # another output's: not ours to clean
    with replacing(tmp_path / "movie.mp4") as tmp:
        tmp.write_bytes(b"movie")
    assert not dead.exists() and not unnamed_old.exists()
    assert live.exists() and other_host.exists() and someone_elses.exists()
    assert remove_stale_partials(tmp_path / "movie.mp4") == []


def test_a_cache_folder_is_swept_of_dead_writers_partial_entries(tmp_path):
    cache = FrameCache(tmp_path)
    key = "ab" * 32
    folder = cache.path(key).parent
    folder.mkdir(parents=True)
    host = owner().split("h", 1)[1]
    dead = partial(folder, f"{'ab' * 31}cd.npz", f"p{dead_pid()}h{host}")
    live = partial(folder, f"{'ab' * 31}ef.npz", owner())
    cache.store(key, np.zeros((1, 2, 2, 3), dtype=np.uint8))
    assert not dead.exists() and live.exists() and cache.check(key, (1, 2, 2, 3)) is True
