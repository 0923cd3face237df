"""Script ingestion: Fountain, prose and scene lists in; clear errors for anything else."""

from __future__ import annotations

import pytest

from director.errors import InputError
from director.script import Action, Speech, detect_format, parse_script, read_script
from tests.conftest import EXAMPLES

FOUNTAIN = """Title: Two Friends
Author: Someone

INT. KITCHEN - DAY

SARAH enters, looking tired. A black cat sleeps on the table.

SARAH
(softly)
Good morning, cat.

TOM ^
Morning!

DISSOLVE TO:

EXT. PARK - NIGHT

The cat runs from the left to the right.
"""


def test_fountain_scene_headings_become_scenes_with_their_beats():
    script = parse_script(FOUNTAIN)
    assert script.format == "fountain"
    assert script.title == "Two Friends"
    assert [s.heading for s in script.scenes] == ["INT. KITCHEN - DAY", "EXT. PARK - NIGHT"]
    first = script.scenes[0]
    assert first.beats[0] == Action("SARAH enters, looking tired. A black cat sleeps on the table.")
    assert Speech("Sarah", "Good morning, cat.", "softly") in first.beats
    assert Speech("Tom", "Morning!", None) in first.beats  # dual dialogue keeps both speakers
    assert first.transition == "DISSOLVE TO:"
    assert script.characters == ("Sarah", "Tom")


def test_scene_list_lines_become_scenes():
    script = parse_script("Title: Robots\n\nScene 1: A robot walks.\nIt stops.\nSCENE 2 - A bird sings.\nScene 3. Night falls.")
    assert script.format == "scenes"
    assert script.title == "Robots"
    assert [s.action_text for s in script.scenes] == ["A robot walks. It stops.", "A bird sings.", "Night falls."]


def test_prose_paragraphs_become_scenes_and_quotes_become_dialogue():
    text = 'A dog runs on the beach. A gull watches.\n\nThe dog barks. "Come back!" shouted Sam.'
    script = parse_script(text)
    assert script.format == "prose"
    assert len(script.scenes) == 2
    assert Speech("Sam", "Come back!") in script.scenes[1].beats
    assert script.characters == ("Sam",)


def test_one_long_prose_paragraph_is_cut_into_scenes_of_a_few_sentences():
    sentences = " ".join(f"The cat takes step {k}." for k in range(7))
    script = parse_script(sentences + " Later, the cat sleeps.")
    assert [len(s.beats) for s in script.scenes] == [3, 3, 1, 1]


def test_format_detection():
    assert detect_format("EXT. BEACH - DAY\n\nWaves.") == "fountain"
    assert detect_format("Scene 1: waves") == "scenes"
    assert detect_format("Waves roll in. A gull cries.") == "prose"
    assert detect_format("Title: X\nAuthor: Y\n") == "fountain"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"   \n\n  \t", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("Caf\u00e9 scene".encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 3"),
        (b"Title: Nothing Here\nAuthor: Me\n", "title page but no scenes"),
        (b"Scene 1:\nScene 2: something", "has no text after it"),
    ],
)
def test_bad_script_files_are_clear_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "script.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_script(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_missing_file_and_folder_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_script(tmp_path / "nope.fountain")
    with pytest.raises(InputError, match="is a folder"):
        read_script(tmp_path)


def test_utf8_with_bom_and_windows_newlines_is_read(tmp_path):
    path = tmp_path / "s.fountain"
    path.write_bytes("\ufeffEXT. BEACH - DAY\r\n\r\nA gull flies.\r\n".encode())
    script = read_script(path)
    assert script.scenes[0].heading == "EXT. BEACH - DAY"
    assert script.scenes[0].action_text == "A gull flies."


@pytest.mark.parametrize("name", ["the_kite.fountain", "the_lost_ball.txt", "robot_day.txt"])
def test_the_examples_parse(name):
    script = read_script(EXAMPLES / name)
    assert len(script.scenes) >= 4
    assert script.title


def test_an_indented_block_is_read_line_by_line():
    script = parse_script(
        "INT. APARTMENT - DAY\n\nScott opens the card.\n\n          Spalding Jeager\n          Hwy 1 overlook\n          Tomorrow, 2:00pm\n\nHe sighs.\n"
    )
    texts = [b.text for b in script.scenes[0].beats]
    assert texts == ["Scott opens the card.", "Spalding Jeager", "Hwy 1 overlook", "Tomorrow, 2:00pm", "He sighs."]
