"""A genre's retrieval bank read from a prepared arrangement corpus equals the one built from its songs."""
from __future__ import annotations

import numpy as np
import pytest

from midistyle.analysis.leadsheet import read_lead_sheet
from midistyle.arrangement.encode import encode
from midistyle.arrangement.retrieve import arrangement_bars
from midistyle.data.banks import corpus_bank, corpus_bars
from midistyle.data.corpus import prepare
from midistyle.errors import InputError
from midistyle.representation import read, write_midi

from tests.arrangement_fixtures import band_song


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("bank")
    write_midi(band_song(), root / "band" / "band.mid")
    out = root / "prepared"
    prepare({"band": [root / "band"]}, out, workers=1, progress=False, content="arrangement", val_fraction=0.0,
            align_beats="off")
    return root, out


def test_corpus_bars_are_the_songs_own_bars(corpus):
    root, out = corpus
    own = list(arrangement_bars(encode(read_lead_sheet(read(root / "band" / "band.mid")))))
    got = list(corpus_bars(out, "band"))
    assert [b.bar for b in got] == [0, 1, 2, 3]  # one 4-bar phrase; the 3/4 tail fills no phrase
    for mine, theirs in zip(own, got):
        for name in ("chroma", "bass", "comp", "drums"):
            np.testing.assert_array_equal(getattr(theirs, name), getattr(mine, name) > 0)


def test_corpus_bank_names_its_genre_and_refuses_others(corpus):
    _, out = corpus
    bank = corpus_bank(out, "band")
    assert bank.genre == "band" and bank.n_bars == 4 and bank.drums.any()
    with pytest.raises(InputError, match="no genre 'jazz'"):
        corpus_bank(out, "jazz")


def test_a_merged_roll_corpus_is_not_a_bank(tmp_path, corpus):
    root, _ = corpus
    prepare({"band": [root / "band"]}, tmp_path / "rolls", workers=1, progress=False, val_fraction=0.0)
    with pytest.raises(InputError, match="not an arrangement corpus"):
        corpus_bank(tmp_path / "rolls", "band")


def test_the_profile_comes_from_the_index_as_from_the_songs(corpus):
    from midistyle.arrangement.profile import learn_profile
    from midistyle.data.banks import corpus_profile

    root, out = corpus
    from_index = corpus_profile(out, "band")
    from_songs = learn_profile([read_lead_sheet(read(root / "band" / "band.mid"))], "band")
    assert from_index.programs() == from_songs.programs() == {"melody": 73, "bass": 33, "comp": 0, "drums": 0}
    assert from_index.roles == from_songs.roles and from_index.swing == from_songs.swing


def test_genre_assets_are_written_for_every_genre_and_load_back(corpus, tmp_path):
    from midistyle.arrangement.profile import load_profile
    from midistyle.arrangement.retrieve import load_bank
    from midistyle.data.banks import write_genre_assets

    _, out = corpus
    folders = write_genre_assets(out, tmp_path / "assets")
    assert list(folders) == ["band"]
    assert load_bank(folders["band"]).n_bars == 4
    assert load_profile(folders["band"] / "profile.json").program("bass") == 33


def test_banking_beside_other_genres_refits_every_banks_typicality(corpus, tmp_path):
    import dataclasses
    import shutil

    from midistyle.arrangement.assets import assets_genres, copy_genres, write_assets_index
    from midistyle.arrangement.retrieve import load_bank, save_bank
    from midistyle.data.banks import write_genre_assets

    _, out = corpus
    alone = tmp_path / "alone"
    write_genre_assets(out, alone)
    assert not load_bank(alone / "band").typical.any()  # one genre: nothing to tell its bars from
    # another genre: the same bars with their comping held whole notes
    other = tmp_path / "other"
    bank = load_bank(alone / "band")
    held = np.zeros_like(bank.comp)
    held[:, 1] = bank.comp.any(axis=(1, 2))[:, None, :]
    held[:, 0, 0] = held[:, 1, 0]
    save_bank(dataclasses.replace(bank, genre="held", comp=held, typical=None), other / "held")
    shutil.copy(alone / "band" / "profile.json", other / "held" / "profile.json")
    write_assets_index(other, ["held"])
    both = tmp_path / "both"
    assert copy_genres(other, both) == ["held"] and copy_genres(other, both) == []
    write_genre_assets(out, both)
    assert assets_genres(both) == ["held", "band"]
    for genre in ("held", "band"):
        typical = load_bank(both / genre).typical
        assert typical.shape == (4,) and typical.std() > 0.5  # z-scored against the other genre


@pytest.mark.slow
def test_train_bank_with_shipped_banks_a_genre_beside_the_shipped_ones(corpus, tmp_path):
    from click.testing import CliRunner

    from midistyle.arrangement.assets import assets_genres
    from midistyle.arrangement.retrieve import load_bank
    from midistyle.cli import main
    from midistyle.rearrange import SHIPPED_ASSETS

    _, out = corpus
    res = CliRunner().invoke(main, ["train", "bank", "--data", str(out), "-o", str(tmp_path / "a"), "--with-shipped"])
    assert res.exit_code == 0, res.output
    shipped = assets_genres(SHIPPED_ASSETS)
    assert assets_genres(tmp_path / "a") == [*shipped, "band"]
    assert load_bank(tmp_path / "a" / "band").typical.shape == (4,)
    jazz, before = load_bank(tmp_path / "a" / "jazz"), load_bank(SHIPPED_ASSETS / "jazz")
    np.testing.assert_array_equal(jazz.comp, before.comp)  # the same bars, refitted against one genre more
    assert not np.array_equal(jazz.typical, before.typical)


def test_a_bank_keeps_its_most_typical_bars_or_a_seeded_draw_when_they_are_alike(corpus):
    import dataclasses

    from midistyle.data.banks import corpus_bank, most_typical

    _, out = corpus
    bank = corpus_bank(out, "band")
    typical = np.array([0.5, -1.0, 2.0, 0.1], np.float32)
    cut = most_typical(dataclasses.replace(bank, typical=typical), 2)
    np.testing.assert_array_equal(cut.bar, bank.bar[[0, 2]])  # the two most typical, in their order
    np.testing.assert_array_equal(cut.comp, bank.comp[[0, 2]])
    np.testing.assert_array_equal(cut.typical, typical[[0, 2]])
    assert most_typical(bank, 9) is bank and most_typical(bank, None) is bank
    alike = [most_typical(bank, 2, seed=s).bar.tolist() for s in (0, 0, 1, 2, 3)]
    assert alike[0] == alike[1] and all(len(b) == 2 for b in alike)  # seeded, so repeatable
