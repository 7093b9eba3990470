"""read_lead_sheet and chart on songs built in code."""
from __future__ import annotations

import numpy as np

from midistyle.analysis.leadsheet import chart, read_lead_sheet
from midistyle.representation.song import Track
from tests.midi_fixtures import song
from tests.test_analysis_roles import _parts


def test_band_reads_as_roles_chords_and_key():
    melody, bass, comp, drums = _parts()
    band = song([("Keys", 0, False, comp), ("Flute", 73, False, melody),
                 ("Kit", 0, True, drums), ("Fingered", 33, False, bass)])
    sheet = read_lead_sheet(band)
    assert sheet.track_roles == ["comp", "melody", "drums", "bass"]
    assert [t.name for t in sheet.part("melody")] == ["Flute"] and sheet.part("drums")[0].is_drum
    assert [(c.start, c.end, c.label) for c in sheet.chords] == \
        [(0.0, 4.0, "C:maj"), (4.0, 8.0, "A:min"), (8.0, 12.0, "F:maj"), (12.0, 16.0, "G:maj")]
    assert sheet.key == 0  # C major


def test_lone_piano_is_split_into_parts_that_add_up():
    melody, bass, comp, _ = _parts()
    piano = song([("Piano", 0, False, melody + bass + comp)])
    sheet = read_lead_sheet(piano)
    assert sheet.track_roles == ["split"]
    assert {r: sum(t.n_notes for t in ts) for r, ts in sheet.parts.items()} == \
        {"melody": len(melody), "bass": len(bass), "comp": len(comp)}
    assert "drums" not in sheet.parts and sheet.part("drums") == []


def test_split_bass_joins_comp_when_a_bass_track_exists():
    melody, bass, comp, _ = _parts()
    low = [(s, e, p - 12, v) for s, e, p, v in bass]
    band = song([("Piano", 0, False, melody + bass + comp), ("Bass", 33, False, low)])
    sheet = read_lead_sheet(band)
    assert sheet.track_roles == ["split", "bass"]
    assert [t.name for t in sheet.part("bass")] == ["Bass"]
    assert sum(t.n_notes for t in sheet.part("comp")) == len(bass) + len(comp)


def test_chart_lists_bars_with_their_chords():
    melody, bass, comp, _ = _parts()
    # hold the last chord for a second bar and leave a silent bar before the end
    tail = [(16.0, 20.0, p, 60) for p in (43, 59, 62, 67)] + [(24.0, 28.0, p, 60) for p in (48, 60, 64, 67)]
    sheet = read_lead_sheet(song([("Piano", 0, False, melody + bass + comp + tail)]))
    text = chart(sheet, bars_per_line=4)
    lines = text.splitlines()
    assert lines[0] == "key: C major"
    assert lines[1] == "roles: Piano: split"
    assert lines[2] == "   1 | C:maj | A:min | F:maj | G:maj |"
    assert lines[3] == "   5 | % | N | C:maj |"


def test_chart_shows_chord_changes_inside_a_bar_and_pickups():
    c = [(0.0, 2.0, p, 80) for p in (48, 60, 64, 67)]
    g = [(2.0, 4.0, p, 80) for p in (43, 59, 62, 67)]
    late = [(5.0, 8.0, p, 80) for p in (45, 60, 64, 69)]
    sheet = read_lead_sheet(song([("Piano", 0, False, c + g + late)]))
    assert chart(sheet).splitlines()[2] == "   1 | C:maj G:maj | N A:min |"
    # a file that says 1/4: bars every 4 quarters on request
    one_four = read_lead_sheet(song([("Piano", 0, False, c + g + late)], sigs=((0.0, 1, 4),)))
    assert chart(one_four).splitlines()[2] == "   1 | C:maj | % | G:maj | % |"
    assert chart(one_four, bar=4.0).splitlines()[2] == "   1 | C:maj G:maj | N A:min |"


def test_drums_only_song_has_no_chords():
    drums = [(float(q), q + 0.25, 36, 100) for q in np.arange(8)]
    sheet = read_lead_sheet(song([("Kit", 0, True, drums)]))
    assert sheet.chords == [] and sheet.track_roles == ["drums"]
    assert isinstance(sheet.part("drums")[0], Track)
    assert "N | N |" in chart(sheet)
    empty = read_lead_sheet(song([("Empty", 0, False, [])]))
    assert empty.parts == {} and empty.chords == [] and chart(empty).endswith("   1 | N |")


def test_chord_roots_are_spelled_as_their_major_keys_are():
    from midistyle.analysis.leadsheet import Chord
    from midistyle.representation.basics import key_name

    labels = [Chord(0.0, 1.0, pc, "maj").label for pc in range(12)]
    assert labels == ["C:maj", "Db:maj", "D:maj", "Eb:maj", "E:maj", "F:maj", "F#:maj", "G:maj", "Ab:maj", "A:maj",
                      "Bb:maj", "B:maj"]
    assert all(lab.split(":")[0] == key_name(pc).split()[0] for pc, lab in enumerate(labels))  # one spelling
