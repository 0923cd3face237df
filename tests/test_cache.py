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


# Damaged entries: caught, removed, rendered again ---------------------------------------------------


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _empty(path):
    path.write_bytes(b"")


def _other_frames(path):
    np.savez(path, frames=np.zeros((1, 2, 2, 3), dtype=np.uint8))  # a valid .npz, of the wrong shape


DAMAGE = {"truncated": _truncate, "a flipped byte": _flip_a_byte, "zero length": _empty, "the wrong shape": _other_frames}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_entry_is_reported_removed_and_missing(tmp_path, damage):
    cache = FrameCache(tmp_path)
    frames = np.random.default_rng(1).integers(0, 256, (3, 8, 10, 3), dtype=np.uint8)
    cache.store("ab" * 32, frames)
    assert cache.check("ab" * 32, frames.shape) is True
    damage(cache.path("ab" * 32))
    bad = FrameCache(tmp_path).check("ab" * 32, frames.shape)
    assert bad is not True and bad is not False and bad.key == "ab" * 32 and bad.reason
    assert not cache.path("ab" * 32).exists()
    assert FrameCache(tmp_path).check("ab" * 32, frames.shape) is False


def test_an_entry_of_another_shape_than_its_job_makes_is_not_used(tmp_path):
    cache = FrameCache(tmp_path)
    cache.store("ab" * 32, np.zeros((3, 8, 10, 3), dtype=np.uint8))
    bad = cache.check("ab" * 32, (4, 8, 10, 3))
    assert "(3, 8, 10, 3)" in bad.reason and "(4, 8, 10, 3)" in bad.reason
    assert not cache.has("ab" * 32)


def test_a_changed_pixel_fails_the_checksum(tmp_path):
    """A bit flip that still decompresses (here: an entry rewritten with one pixel changed, its record kept)."""
    import zipfile

    cache = FrameCache(tmp_path)
    frames = np.zeros((2, 4, 4, 3), dtype=np.uint8)
    cache.store("ab" * 32, frames)
    path = cache.path("ab" * 32)
    with zipfile.ZipFile(path) as archive:
        record = archive.read("entry.json")
    changed = frames.copy()
    changed[1, 2, 3, 0] = 1
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("entry.json", record)
        with archive.open("frames.npy", "w") as member:
            np.lib.format.write_array(member, changed)
    assert "checksum" in FrameCache(tmp_path).check("ab" * 32, frames.shape).reason


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_render_over_a_damaged_entry_completes_and_renders_that_job_again(tmp_path, damage):
    from director.execute import render_storyboard
    from tests.conftest import CountingRenderer, make_board

    board = make_board(scenes=2)
    first = render_storyboard(board, CountingRenderer(), FrameCache(tmp_path / "cache"))
    keyframes = first.scenes[1].refs[0].job  # a level-0 job: the infill windows of its scene are conditioned on it
    damage(FrameCache(tmp_path / "cache").path(keyframes))

    renderer = CountingRenderer()
    with pytest.warns(UserWarning, match=r"1 cached job\(s\) .* could not be used and are rendered again: " + keyframes[:12]):
        again = render_storyboard(board, renderer, FrameCache(tmp_path / "cache"))
    assert renderer.jobs == 1 and again.stats.jobs_rendered == 1 and again.stats.jobs_redone == 1
    assert again.stats.rendered_by_scene == {"scene_2": 1}
    for s in range(2):
        np.testing.assert_array_equal(np.stack(list(again.iter_frames(s))), np.stack(list(first.iter_frames(s))))
    assert FrameCache(tmp_path / "cache").check(keyframes, (4, 36, 64, 3)) is True


def test_the_command_line_renders_over_a_truncated_entry(tmp_path):
    from typer.testing import CliRunner

    from director.cli import app
    from tests.conftest import make_board

    make_board(scenes=3).save(tmp_path / "b.json")  # one job a scene (the animatic's window is 16)
    command = ["render", str(tmp_path / "b.json"), "-o", str(tmp_path / "m.mp4"), "--renderer", "animatic", "--cache-dir", str(tmp_path / "c")]
    assert CliRunner().invoke(app, command).exit_code == 0
    for path in sorted((tmp_path / "c" / "jobs").rglob("*.npz"))[:2]:
        _truncate(path)
    with pytest.warns(UserWarning, match="2 cached job"):
        result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "2 jobs rendered" in " ".join(result.output.split())
