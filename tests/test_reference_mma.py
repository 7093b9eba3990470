"""midistyle.reference.mma: the MMA file written from a chord chart (pure text), and MMA run end to end."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from midistyle.analysis.leadsheet import Chord, LeadSheet
from midistyle.errors import RenderError
from midistyle.reference import mma
from midistyle.representation import Song, Track
from midistyle.representation.midi_io import read, write_midi

from tests.arrangement_fixtures import band_song, lead_sheet, notes
from tests.midi_fixtures import song

GROOVES = {4: "JazzCombo", 3: "JazzWaltz"}


def chart_lines(text: str) -> list[str]:
    """The bar lines of an MMA file (those starting with a bar number)."""
    return [ln for ln in text.splitlines() if ln.split(" ", 1)[0].isdigit()]


def sheet(sig, chords, tempo=96.0, end=None) -> LeadSheet:
    """A one-line melody over ``chords`` ``(root, quality, start, end)`` in meter ``sig``."""
    end = end or max(c[3] for c in chords)
    line = [(q, q + 1.0, 72, 80) for q in np.arange(0.0, end, 1.0)]
    s = song([("Voice", 73, False, line)], tempos=((0.0, tempo),), sigs=((0.0, *sig),))
    return LeadSheet(s, {"melody": [s.tracks[0]]}, ["melody"], [Chord(a, b, r, q) for r, q, a, b in chords], 0)


@pytest.mark.parametrize("root, quality, name", [
    (0, "maj", "C"), (9, "min", "Am"), (7, "7", "G7"), (5, "maj7", "FM7"), (2, "min7", "Dm7"),
    (6, "hdim7", "F#m7b5"), (11, "dim7", "Bdim7"), (11, "dim", "Bmb5"), (8, "aug", "Abaug"),
    (10, "sus4", "Bbsus4"), (3, "maj6", "Eb6"), (1, "sus2", "Dbsus2")])
def test_chord_names_follow_mma_syntax(root, quality, name):
    assert mma.chord_name(Chord(0.0, 1.0, root, quality)) == name


def test_an_unknown_quality_is_refused_by_name():
    with pytest.raises(ValueError, match="'13'"):
        mma.chord_name(Chord(0.0, 1.0, 0, "13"))


def test_the_file_holds_tempo_groove_and_one_token_per_beat_with_repeats():
    text = mma.write_mma(sheet((4, 4), [(2, "min7", 0.0, 2.0), (7, "7", 2.0, 4.0), (0, "maj7", 4.0, 12.0)],
                               tempo=132.5), GROOVES, seed=3)
    assert ["Tempo 132.50", "Time 4", "Groove JazzCombo", "RndSeed 3"] == text.splitlines()[1:5]
    # a held chord is '/' on later beats and at the next bar's downbeat
    assert chart_lines(text) == ["1 Dm7 / G7 /", "2 CM7 / / /", "3 / / / /"]
    assert "BeatAdjust" not in text


def test_beats_without_a_chord_rest_and_a_chord_may_change_mid_bar():
    text = mma.write_mma(sheet((4, 4), [(9, "min", 1.0, 3.0), (5, "maj", 6.0, 8.0)]), GROOVES)
    assert chart_lines(text) == ["1 z Am / z", "2 / / F /"]


def test_a_waltz_takes_the_three_beat_groove():
    text = mma.write_mma(sheet((3, 4), [(0, "maj", 0.0, 3.0), (7, "7", 3.0, 6.0)]), GROOVES)
    assert "Time 3" in text and "Groove JazzWaltz" in text
    assert chart_lines(text) == ["1 C / /", "2 G7 / /"]


def test_two_four_bars_pair_up_in_a_four_beat_groove():
    text = mma.write_mma(sheet((2, 4), [(0, "maj", 0.0, 2.0), (7, "maj", 2.0, 4.0), (0, "maj", 4.0, 6.0)]),
                         GROOVES)
    assert "Time 4" in text
    assert chart_lines(text) == ["1 C / G /", "2 C /"]
    assert text.splitlines()[-1] == "BeatAdjust -2"  # the odd last bar ends short


def test_a_meter_change_keeps_mma_downbeats_on_the_songs():
    # the band fixture: four 4/4 bars then two 3/4 bars (C held for six quarters)
    text = mma.write_mma(lead_sheet(band_song()), {4: "Swing"})
    assert chart_lines(text) == ["1 C / / /", "2 Am / / /", "3 F / / /", "4 G7 / / /", "5 C / /", "6 / / /"]
    assert text.count("BeatAdjust -1") == 2
    assert "Tempo 100.00" in text  # the first tempo of the fixture's map


@pytest.mark.parametrize("lines, beats, want", [
    ([0, 4, 8, 10, 14], 4, [(0, 4), (4, 4), (8, 2), (10, 4)]),
    ([0, 2, 4, 6], 4, [(0, 4), (4, 2)]),
    ([0, 6, 12], 3, [(0, 3), (3, 3), (6, 3), (9, 3)]),
    ([0, 6, 12], 4, [(0, 4), (4, 2), (6, 4), (10, 2)]),
])
def test_mma_bars_group_cut_and_end_short_at_the_songs_bar_lines(lines, beats, want):
    assert mma.mma_bars(np.asarray(lines, float), beats) == [(float(a), float(b)) for a, b in want]


def test_the_groove_is_picked_by_the_bar_length():
    assert mma.pick_groove(GROOVES, 4.0) == (4, "JazzCombo")
    assert mma.pick_groove(GROOVES, 3.0) == (3, "JazzWaltz")
    assert mma.pick_groove(GROOVES, 2.0) == (4, "JazzCombo")
    assert mma.pick_groove(GROOVES, 6.0) == (3, "JazzWaltz")
    with pytest.raises(ValueError, match="5-quarter bars"):
        mma.pick_groove(GROOVES, 5.0)


def test_a_missing_mma_is_one_line_saying_how_to_install_it(tmp_path):
    with pytest.raises(RenderError) as err:
        mma.render(lead_sheet(band_song()), GROOVES, exe="no-such-mma-program")
    assert "setup.sh --with-mma" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(SystemExit, match="Error: mma not found"):
        path = tmp_path / "in.mid"
        write_midi(band_song(), path)
        mma.main([str(path), str(tmp_path / "out.mid"), "--groove", "Swing", "--mma", "no-such-mma-program"])


def test_merge_keeps_the_melody_and_the_source_context():
    src = band_song()
    lead = lead_sheet(src)
    unnamed = Track("", 73, False, src.tracks[0].start, src.tracks[0].end, src.tracks[0].pitch, src.tracks[0].velocity)
    lead.parts["melody"] = [unnamed]
    made = Song([Track.from_notes("Bass", 32, False, [(0.0, 1.0, 36, 90), (21.5, 22.0, 36, 90), (22.0, 23.0, 36, 90)]),
                 Track.from_notes("Drum", 0, True, [(0.0, 0.1, 36, 100)])], [(0.0, 120.0)], [(0.0, 4, 4)])
    out = mma.merge(lead, made)
    assert [t.name for t in out.tracks] == ["Melody", "MMA Bass", "MMA Drum"]
    assert notes(out.tracks[0]) == notes(src.tracks[0])
    assert out.tracks[1].start.tolist() == [0.0, 21.5]  # the note after the last bar (22) is dropped
    assert out.tracks[2].is_drum
    assert out.tempos == src.tempos and out.time_signatures == src.time_signatures


needs_mma = pytest.mark.skipif(shutil.which("mma") is None, reason="mma not installed (./setup.sh --with-mma)")


@pytest.mark.slow
@needs_mma
def test_mma_renders_the_chart_under_the_kept_melody(tmp_path):
    src = band_song()
    out = mma.render(lead_sheet(src), {4: "JazzCombo"})
    assert notes(out.tracks[0]) == notes(src.tracks[0])
    made = {t.name: t for t in out.tracks[1:]}
    assert any(t.is_drum for t in made.values())
    assert any(32 <= t.program < 40 for t in made.values())  # a bass
    assert max(float(t.start.max()) for t in made.values()) < 22.0
    chords = [t for name, t in made.items() if name.startswith("MMA Chord")]
    assert chords
    for a, b, tones, seventh in [(4.0, 8.0, {9, 0, 4}, None), (12.0, 16.0, {7, 11, 2, 5}, 5)]:
        heard = set()
        for t in chords:
            inside = (t.start >= a + 0.05) & (t.start < b - 0.05)
            heard |= set((t.pitch[inside] % 12).tolist())
        assert heard <= tones and heard, (a, heard)
        assert seventh is None or seventh in heard  # G7's F reached MMA
    # the command line writes the same as a MIDI file that reads back
    path = tmp_path / "band.mid"
    write_midi(src, path)
    mma.main([str(path), str(tmp_path / "out.mid"), "--groove", "JazzCombo", "--mma-file", str(tmp_path / "s.mma")])
    back = read(tmp_path / "out.mid")
    assert "Groove JazzCombo" in (tmp_path / "s.mma").read_text()
    assert any(t.is_drum for t in back.tracks) and back.n_notes(drums=False) > src.tracks[0].n_notes


@pytest.mark.slow
@needs_mma
def test_every_groove_of_the_benchmark_setting_exists_in_mma():
    setting = json.loads((Path(__file__).parents[1] / "benchmarks" / "mma_grooves.json").read_text())["grooves"]
    for genre, by_beats in setting.items():
        for beats, groove in by_beats.items():
            sig = (int(beats), 4)
            lead = sheet(sig, [(0, "maj", 0.0, 2.0 * int(beats))])
            out = mma.render(lead, {int(beats): groove})
            assert out.n_notes() > lead.song.n_notes(), (genre, groove)
