"""The content-addressed frame cache."""

from __future__ import annotations

import numpy as np
import pytest

from director.cache import FrameCache, content_key


def test_keys_depend_on_content_not_on_key_order():
    assert content_key({"a": 1, "b": [1, 2]}) == content_key({"b": [1, 2], "a": 1})
    assert content_key({"a": 1}) != content_key({"a": 2})


def test_stored_frames_load_back_identically(tmp_path):
    cache = FrameCache(tmp_path)
    frames = np.random.default_rng(0).integers(0, 256, (3, 8, 10, 3), dtype=np.uint8)
    cache.store("ab" * 32, frames)
    assert cache.has("ab" * 32)
    np.testing.assert_array_equal(FrameCache(tmp_path).load("ab" * 32), frames)
    np.testing.assert_array_equal(cache.frame("ab" * 32, 2), frames[2])


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    cache = FrameCache(tmp_path)

    with pytest.raises(Exception):
        cache.store("cd" * 32, np.zeros((2, 4, 4, 3), dtype=object))  # cannot be written without pickle
    assert not cache.has("cd" * 32)
    assert not list(tmp_path.rglob("*.partial*"))


def test_a_corrupt_entry_is_a_miss_and_is_removed(tmp_path):
    cache = FrameCache(tmp_path)
    path = cache.path("ef" * 32)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a zip file")
    with pytest.raises(KeyError):
        cache.load("ef" * 32)
    assert not path.exists()
