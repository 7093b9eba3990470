"""The command line in process (inspect, roll, quantize, render, convert): outputs, one-line errors,
exit codes, no stray files, and the newcomer traps that used to be a traceback, a silent no-op or wrong advice."""
from __future__ import annotations

import mido
import pretty_midi
import pytest
import torch

from midistyle.errors import InputError, ModelError
from midistyle.representation import read, to_midi_bytes, write_midi
from midistyle.representation.basics import key_name
from midistyle.summary import describe
from midistyle.transfer import Converter
from tests.midi_fixtures import rich_midi_bytes, song


def test_inspect_shows_tracks_meters_tempi_and_grid(cli, rich_midi):
    res = cli("inspect", rich_midi)
    assert res.exit_code == 0, res.output
    for text in ("Piano", "Electric Bass (finger)", "drums", "1/4 at q0", "6/8 at q15",
                 "90.0 qpm", "70.0 qpm", "bars     7", "0 of 11 onsets off the grid"):
        assert text in res.output


def test_inspect_lists_the_tunes_of_an_abc_book(cli, tmp_path):
    book = tmp_path / "book.abc"
    tunes = "".join(f"X:{n}\nT:Tune {n}\nM:2/4\nL:1/8\nK:D\n{'ABcd' * (i + 1)}|\n\n"
                    for i, n in enumerate((4, 8, 15, 16, 23)))
    book.write_text(tunes)
    res = cli("inspect", f"{book}#16")
    assert res.exit_code == 0, res.output
    assert f"{book}#16" in res.output and "16 notes" in res.output  # tune 16 (4th) has 16 notes
    assert "book     5 tunes (4, 8, 15 ... 23)" in res.output
    single = tmp_path / "one.abc"
    single.write_text("X:1\nT:One\nM:2/4\nL:1/8\nK:D\nABcd|\n")
    assert "book" not in cli("inspect", single).output


def test_quantize_writes_grid_version_and_refuses_overwrites(cli, rich_midi, tmp_path):
    out = tmp_path / "q.mid"
    res = cli("quantize", rich_midi, "-o", out)
    assert res.exit_code == 0, res.output
    pm = pretty_midi.PrettyMIDI(str(out))
    assert [(i.name, i.is_drum) for i in pm.instruments] == [("Piano", False), ("Bass", False), ("Drums", True)]
    again = cli("quantize", rich_midi, "-o", out)
    assert again.exit_code == 4 and "already exists" in again.output
    before = rich_midi.read_bytes()
    same = cli("quantize", rich_midi, "-o", rich_midi, "--force")
    assert same.exit_code == 4 and "input file" in same.output
    assert rich_midi.read_bytes() == before


def test_quantize_triplets_with_12_steps(cli, tmp_path):
    src = tmp_path / "trip.mid"
    write_midi(song([("L", 0, False, [(i / 3, (i + 1) / 3, 60 + i, 80) for i in range(6)])]), src)
    out = tmp_path / "t.mid"
    res = cli("quantize", src, "-o", out, "--steps-per-beat", 12)
    assert res.exit_code == 0 and "0 onsets moved" in res.output
    res4 = cli("quantize", src, "-o", tmp_path / "t4.mid")
    assert "4 onsets moved" in res4.output


@pytest.mark.parametrize("content,reason", [
    (None, "no such file"),
    (b"not midi at all", "not a MIDI file"),
    (rich_midi_bytes()[:40], "malformed MIDI|no notes"),
])
def test_bad_input_one_line_no_output(cli, tmp_path, content, reason):
    import re
    src = tmp_path / "bad.mid"
    if content is not None:
        src.write_bytes(content)
    for cmd in (["inspect", src], ["quantize", src, "-o", tmp_path / "o.mid"],
                ["roll", src, "-o", tmp_path / "o.png"]):
        res = cli(*cmd)
        assert res.exit_code == 3, (cmd, res.output)
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and str(src) in lines[0]
        assert re.search(reason, lines[0]) and "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == (["bad.mid"] if content else [])


def test_roll_draws_png(cli, rich_midi, tmp_path):
    out = tmp_path / "r.png"
    res = cli("roll", rich_midi, "-o", out, "--bars", "1:5")
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = cli("roll", rich_midi, "-o", tmp_path / "x.png", "--bars", "a:b")
    assert bad.exit_code == 2


def test_drums_only_file_is_refused_by_quantize(cli, tmp_path):
    src = tmp_path / "drums.mid"
    write_midi(song([("D", 0, True, [(0, 1, 36, 100)])]), src)
    assert "no pitched notes" in cli("inspect", src).output
    res = cli("quantize", src, "-o", tmp_path / "o.mid")
    assert res.exit_code == 3 and "only drum" in res.output


BOOK = "X:3\nT:Low\nM:4/4\nL:1/4\nK:C\nCDEF|GABc|\n\nX:5\nT:High\nM:3/4\nL:1/4\nK:C\ncde|fga|\n"


def one_line_failure(res, code, *words):
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output and res.exception is None or isinstance(res.exception, SystemExit)
    err = [line for line in res.output.splitlines() if "Error" in line]
    assert len(err) == 1 and all(w in err[0] for w in words), res.output


@pytest.fixture()
def long_song(tmp_path):
    path = tmp_path / "long.mid"
    write_midi(song([("Keys", 0, False, [(q, q + 1.0, 60 + q % 12, 80) for q in range(0, 240)])]), path)
    return path


# ----------------------------------------------------------------------------- roll and --bars
@pytest.mark.parametrize("bars", ["10:5", "100:110"])
def test_roll_bars_that_select_nothing_are_one_line(cli, long_song, tmp_path, bars):
    res = cli("roll", long_song, "-o", tmp_path / "r.png", "--bars", bars)
    one_line_failure(res, 3, f"bars {bars} select none of its 60 bars")
    assert not (tmp_path / "r.png").exists()


def test_roll_says_which_bars_it_drew_and_suggests_bars_for_a_long_song(cli, long_song, tmp_path):
    res = cli("roll", long_song, "-o", tmp_path / "part.png", "--bars", "0:8")
    assert res.exit_code == 0 and "(bars 0:8 of 60, 1 instrument, 4 steps per quarter)" in res.output
    res = cli("roll", long_song, "-o", tmp_path / "all.png")
    assert res.exit_code == 0 and "(60 bars" in res.output and "--bars" in res.output


# ------------------------------------------------------------------------------------ devices
@pytest.mark.parametrize("device, words", [("foo", ["unknown device 'foo'"]), ("cuda:7", ["cuda:7"])])
def test_convert_and_evaluate_refuse_a_device_in_one_line(cli, tmp_path, tiny_cyclegan, device, words):
    if device.startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine has that GPU")
    src = tmp_path / "in.mid"
    write_midi(song([("Keys", 0, False, [(0.0, 4.0, 60, 80)])]), src)
    for cmd in (["convert", src, "--to", "jazz", "--model", tiny_cyclegan, "-o", tmp_path / "o.mid"],
                ["evaluate", src, "--to", "jazz", "--model", tiny_cyclegan, "--classifier", tiny_cyclegan, "-o", tmp_path / "e"]):
        one_line_failure(cli(*cmd, "--device", device), 2, *words)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a torch without CUDA")
def test_cuda_on_a_cpu_only_torch_is_one_line(cli, tmp_path, tiny_cyclegan):
    src = tmp_path / "in.mid"
    write_midi(song([("Keys", 0, False, [(0.0, 4.0, 60, 80)])]), src)
    one_line_failure(cli("convert", src, "--to", "jazz", "--model", tiny_cyclegan, "--device", "cuda"), 2,
                     "no CUDA GPU", "--device cpu")


# ------------------------------------------------------------------------- silent no-ops
def test_convert_validates_from_threshold_and_compare(cli, tmp_path, tiny_cyclegan):
    src = tmp_path / "in.mid"
    write_midi(song([("Keys", 0, False, [(0.0, 4.0, 60, 80)])]), src)
    res = cli("convert", src, "--to", "jazz", "--from", "jaz")
    assert res.exit_code == 2 and "'jaz' is not a genre" in res.output
    res = cli("convert", src, "--to", "jazz", "--model", tiny_cyclegan, "--from", "polka")
    assert res.exit_code == 2 and "not a genre this model knows" in res.output
    res = cli("convert", src, "--to", "jazz", "--threshold", "1.5")
    assert res.exit_code == 2 and "--threshold" in res.output
    res = cli("convert", tmp_path, "--to", "jazz", "-o", tmp_path / "out", "--compare")
    assert res.exit_code == 2 and "--compare works on one input file" in res.output
    with pytest.raises(ValueError, match="threshold"):
        Converter.load("jazz", tiny_cyclegan, classifier=False).convert_song(read(src), threshold=0)


def test_tune_conflicting_with_the_book_number_or_given_for_midi_is_refused(cli, tmp_path):
    book = tmp_path / "book.abc"
    book.write_text(BOOK)
    assert read(f"{book}#5", tune=5).time_signatures == [(0.0, 3, 4)]
    with pytest.raises(InputError, match="--tune 3 and #5 name different tunes"):
        read(f"{book}#5", tune=3)
    mid = tmp_path / "a.mid"
    write_midi(song([("Keys", 0, False, [(0.0, 4.0, 60, 80)])]), mid)
    with pytest.raises(InputError, match="a MIDI file holds one piece"):
        read(mid, tune=2)
    res = cli("inspect", mid, "--tune", "2")
    assert res.exit_code == 3 and "holds one piece" in res.output


def test_inspect_advises_only_options_that_exist(tmp_path):
    triplets = [(i / 3, i / 3 + 0.3, 60 + i % 5, 80) for i in range(48)]
    text = describe(song([("Keys", 0, False, triplets)]))
    assert "off the grid" in text and "quantize --steps-per-beat 12" in text
    assert "try --steps-per-beat 12" not in text


def test_render_takes_a_score_and_a_tune_of_a_book(cli, tmp_path, monkeypatch):
    import midistyle.render as R

    got = {}
    monkeypatch.setattr(R, "_synthesize", lambda pm, *a: got.setdefault("pm", pm) and __import__("numpy").zeros((10, 2)))
    monkeypatch.setattr(R, "_check_soundfont", lambda p: p)
    monkeypatch.setattr(R, "find_soundfont", lambda p=None: tmp_path)
    monkeypatch.setattr(R, "_write_wav", lambda out, audio, rate: out)
    book = tmp_path / "book.abc"
    book.write_text(BOOK)
    res = cli("render", f"{book}#5")
    assert res.exit_code == 0, res.output
    assert "book.5.wav" in res.output
    assert [n.pitch for n in got["pm"].instruments[0].notes][:3] == [72, 74, 76]
    got.clear()
    res = cli("render", book, "-o", tmp_path / "b.wav")
    assert res.exit_code == 0, res.output
    assert [n.pitch for n in got["pm"].instruments[0].notes][:3] == [60, 62, 64]


# ------------------------------------------------------------------------- CycleGAN directions
def test_a_cyclegan_converts_both_ways_picked_by_to(tiny_cyclegan):
    there = Converter.load("jazz", tiny_cyclegan, classifier=False)
    back = Converter.load("pop", tiny_cyclegan, classifier=False)
    assert (there.direction, there.target, back.direction, back.target) == ("a2b", "jazz", "b2a", "pop")
    assert back.meta.source == ("jazz",)
    x = torch.rand(1, 2, 64, 84)
    with torch.no_grad():
        assert not torch.equal(there.generator(x), back.generator(x))
    with pytest.raises(ModelError, match=r"converts to jazz \(G\) and pop \(F\), not rock"):
        Converter.load("rock", tiny_cyclegan, classifier=False)


def test_convert_to_the_source_domain_of_a_cyclegan(cli, tmp_path, tiny_cyclegan):
    src = tmp_path / "in.mid"
    write_midi(song([("Keys", 0, False, [(0.0, 4.0, 60, 80)])]), src)
    res = cli("convert", src, "--to", "pop", "--model", tiny_cyclegan, "-o", tmp_path / "o.mid")
    assert res.exit_code == 0 and "(pop)" in res.output, res.output


# ------------------------------------------------------------------------------ round trip
def _midi_with_meta(events_by_track) -> bytes:
    import io
    mf = mido.MidiFile(ticks_per_beat=480)
    for events in events_by_track:
        tr = mido.MidiTrack()
        tr.extend(events)
        mf.tracks.append(tr)
    buf = io.BytesIO()
    mf.save(file=buf)
    return buf.getvalue()


def test_a_meter_a_tick_in_is_the_first_meter_not_a_second_one(tmp_path):
    notes = [mido.Message("note_on", note=60, velocity=80, time=0), mido.Message("note_off", note=60, time=1440)]
    data = _midi_with_meta([[mido.MetaMessage("time_signature", numerator=3, denominator=4, time=1), *notes]])
    path = tmp_path / "tick1.mid"
    path.write_bytes(data)
    s = read(path)
    assert s.time_signatures == [(0.0, 3, 4)]
    out = mido.MidiFile(file=__import__("io").BytesIO(to_midi_bytes(s)))
    sigs = [m for t in out.tracks for m in t if m.type == "time_signature"]
    assert [(m.numerator, m.denominator) for m in sigs] == [(3, 4)]


def test_inspect_lists_each_meter_and_key_once_and_spells_keys(tmp_path):
    meta = [mido.MetaMessage("time_signature", numerator=3, denominator=4, time=0),
            mido.MetaMessage("key_signature", key="C#m", time=0)]
    notes = [mido.Message("note_on", note=61, velocity=80, time=0), mido.Message("note_off", note=61, time=1440)]
    path = tmp_path / "dup.mid"
    path.write_bytes(_midi_with_meta([list(meta), [*meta, *notes]]))
    text = describe(read(path))
    assert "meters   3/4 at q0\n" in text and "keys     C# minor at q0\n" in text
    assert [key_name(n) for n in (1, 13, 6, 15, 10, 22)] == ["Db major", "C# minor", "F# major", "D# minor",
                                                             "Bb major", "Bb minor"]
