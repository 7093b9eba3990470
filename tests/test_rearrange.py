"""Arrangement-level conversion end to end: prepare --content arrangement, train bank, convert (its default)."""
from __future__ import annotations

import numpy as np
import pytest

from midistyle.representation import read, write_midi
from midistyle.rearrange import SHIPPED_ASSETS, ArrangementConverter
from midistyle.transfer import load_converter
from midistyle.errors import ModelError
from tests.arrangement_fixtures import band_song

SHIPPED_EDIT = SHIPPED_ASSETS.parent / "to_jazz"


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    """Assets of two genres learned from their songs: swung ride + upright bass, straight hi-hat + e-bass."""
    from click.testing import CliRunner

    from midistyle.cli import main

    root = tmp_path_factory.mktemp("genres")
    for i in range(5):  # the validation split (a tenth, by content hash) must leave some to learn from
        write_midi(band_song(swing=2 / 3, ride=True, bass_program=32, comp_program=0, seed=i),
                   root / "swing" / f"s{i}.mid")
        write_midi(band_song(bass_program=33, comp_program=27, seed=i), root / "straight" / f"t{i}.mid")
    run = CliRunner().invoke
    for genre in ("swing", "straight"):
        r = run(main, ["prepare", str(root / genre), "--genre", genre, "-o", str(root / "prepared"), "--content",
                       "arrangement", "--workers", "1", "--align-beats", "off"])
        assert r.exit_code == 0, r.output
    r = run(main, ["train", "bank", "--data", str(root / "prepared"), "-o", str(root / "assets")])
    assert r.exit_code == 0, r.output
    assert "swing:" in r.output and "straight:" in r.output
    return root / "assets"


@pytest.mark.slow  # prepares and banks a corpus through the CLI
def test_convert_arrange_plays_the_target_genres_band_around_the_kept_melody(assets, tmp_path, cli):
    src = tmp_path / "song.mid"
    write_midi(band_song(bass_program=33, comp_program=27, seed=5), src)
    out = tmp_path / "song.swing.mid"
    r = cli("convert", src, "--to", "swing", "--model", assets, "-o", out, "--align-beats", "off")  # the default
    assert r.exit_code == 0, r.output
    song, before = read(out), read(src)
    programs = {t.name: t.program for t in song.tracks}
    assert programs["Bass"] == 32  # the swing genre's upright bass, not the source's 33
    melody = next(t for t in song.tracks if t.name == "Flute")
    np.testing.assert_array_equal(melody.pitch, before.tracks[0].pitch)  # the melody's notes, in order
    assert np.isin(51, song.drums[0].pitch)  # the genre's ride cymbal
    r = cli("convert", src, "--to", "swing", "--arrange", "--model", assets, "-o", tmp_path / "kept.mid",
            "--keep", "drums,instruments", "--align-beats", "off")  # --arrange: old command lines still run
    assert r.exit_code == 0, r.output
    kept = read(tmp_path / "kept.mid")
    assert {t.name: t.program for t in kept.tracks}["Bass"] == 33
    np.testing.assert_array_equal(kept.drums[0].pitch, before.drums[0].pitch)


@pytest.mark.slow  # prepares and banks a corpus through the CLI
def test_arrange_options_fail_with_one_line(assets, tmp_path, cli):
    src = tmp_path / "song.mid"
    write_midi(band_song(), src)
    for edit in (["--edit"], ["--model", SHIPPED_EDIT]):  # the shipped edit model, asked for either way
        r = cli("convert", src, "--to", "jazz", *edit, "--keep", "drums", "-o", tmp_path / "x.mid")
        assert r.exit_code == 2 and "Error: --keep works with the arrangement transfer" in r.output, r.output
        r = cli("convert", src, "--to", "jazz", *edit, "--arrange", "-o", tmp_path / "x.mid")
        assert r.exit_code == 2 and "Error: --" in r.output, r.output
    r = cli("convert", src, "--to", "swing", "--edit", "--model", assets, "-o", tmp_path / "x.mid")
    assert r.exit_code == 5 and "is an arrangement model, not an edit model" in r.output
    r = cli("convert", src, "--to", "swing", "--keep", "tempo", "--model", assets)
    assert r.exit_code == 2 and "cannot keep tempo" in r.output
    assert not (tmp_path / "x.mid").exists()
    with pytest.raises(ModelError, match="no arrangement of genre 'jazz' here; it has swing, straight"):
        ArrangementConverter.load("jazz", assets)


@pytest.mark.slow  # prepares and banks a corpus through the CLI
def test_a_folder_converts_with_the_arrangement_transfer(assets, tmp_path, cli):
    for i in range(2):
        write_midi(band_song(seed=i), tmp_path / "in" / f"{i}.mid")
    r = cli("convert", tmp_path / "in", "--to", "straight", "--model", assets, "-o", tmp_path / "out",
            "--workers", "1", "--align-beats", "off")
    assert r.exit_code == 0, r.output
    outs = sorted((tmp_path / "out").glob("*.mid"))
    assert len(outs) == 2 and all(read(p).drums for p in outs)


def test_shipped_assets_arrange_every_shipped_genre():
    from midistyle.representation.song import GENRES

    song = band_song()
    for genre in GENRES:
        conv = load_converter(genre)  # the default: the shipped assets
        assert isinstance(conv, ArrangementConverter) and conv.assets == SHIPPED_ASSETS
        out, info = conv.convert_song(song, align_beats="off")
        assert info["to"] == genre and info["notes_out"] > 0
        melody = [t for t in out.tracks if t.name == "Flute"][0]
        np.testing.assert_array_equal(melody.pitch, song.tracks[0].pitch)


def test_inspect_roles_prints_the_roles_and_the_chart(tmp_path, cli):
    src = tmp_path / "song.mid"
    write_midi(band_song(), src)
    r = cli("inspect", src, "--roles")
    assert r.exit_code == 0, r.output
    assert "roles: Flute: melody, Bass: bass, Piano: comp, Drums: drums" in r.output
    assert "C:maj" in r.output and "key: C major" in r.output
