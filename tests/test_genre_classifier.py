"""midistyle/genre_classifier.py: the one CNN wrapper behind convert's detection, evaluate and classify,
checked on the shipped classifier against the network's softmax computed here by hand."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from midistyle.classify import classify
from midistyle.config import RollConfig
from midistyle.evaluate.scoring import TargetClassifier
from midistyle.genre_classifier import GenreClassifier, shipped_classifier
from midistyle.models.checkpoint import load_classifier
from midistyle.representation import song_to_roll, write_midi
from midistyle.transfer import Converter
from tests.midi_fixtures import song

FOUR, TWELVE = RollConfig(steps_per_beat=4), RollConfig(steps_per_beat=12)


def tune(bars: int = 8):
    """``bars`` 4/4 bars of piano 16ths and bass eighths (every onset on the 16th grid), 4 silent
    bars, then one note."""
    line = [(q, q + 0.25, 60 + (k * 5) % 14, 80) for k, q in enumerate(np.arange(0, 4 * bars, 0.25))]
    bass = [(q, q + 0.5, 36 + (k * 7) % 12, 90) for k, q in enumerate(np.arange(0, 4 * bars, 0.5))]
    end = [(4 * bars + 16, 4 * bars + 16.25, 60, 1)]
    return song([("Piano", 0, False, line), ("Bass", 33, False, bass), ("End", 0, False, end)])


def softmax_by_hand(x4: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shipped network's softmax over the windows of a 4-step roll: 64 steps each, every 32
    steps while a window reaches past the previous one's end, the last zero-padded."""
    module, meta = load_classifier(shipped_classifier())
    n_steps, w = x4.shape[1], meta.window
    starts = [a for a in range(0, n_steps, w // 2) if a == 0 or a + w // 2 < n_steps]
    cut = np.zeros((len(starts), 2, w, x4.shape[2]), np.float32)
    for i, a in enumerate(starts):
        part = x4[:, a:a + w]
        cut[i, :, :part.shape[1]] = part
    with torch.inference_mode():
        return torch.softmax(module(torch.from_numpy(cut)).float(), -1).numpy().astype(np.float64), cut


@pytest.fixture(scope="module")
def shipped():
    return GenreClassifier.load()


@pytest.mark.slow
def test_the_three_uses_give_the_networks_probabilities(shipped, tmp_path):
    s = tune()
    x4 = song_to_roll(s, FOUR).merged()
    p, cut = softmax_by_hand(x4)
    sounding = cut.any(axis=(1, 2, 3))
    assert sounding.sum() >= 2 and not sounding.all()  # a silent window, left out where the callers say so

    # classify: the mean over the sounding windows, per genre
    expected = dict(zip(shipped.genres, p[sounding].mean(0)))
    assert shipped.song_probs(s) == pytest.approx(expected, abs=1e-6)
    write_midi(s, tmp_path / "tune.mid")
    (verdict,) = classify([tmp_path / "tune.mid"], cnn=shipped)
    assert verdict.cnn == pytest.approx(expected, abs=1e-5)

    # convert: the shipped to_jazz runs on 12 steps per quarter; detection coarsens to the CNN's 4
    # and takes the mean over every window
    conv = Converter.load("jazz")
    assert conv.cfg == TWELVE and conv.classifier.factor == 3
    genre, prob = conv.detect(song_to_roll(s, TWELVE).merged())
    mean = p.mean(0)
    assert genre == shipped.genres[int(mean.argmax())] and prob == pytest.approx(mean.max(), abs=1e-6)

    # evaluate: the kept windows, P(target), P(source), and among a pair
    cnn = TargetClassifier.load(shipped_classifier(), "jazz", ("pop", "rock"), cfg=TWELVE, window=192)
    x12 = song_to_roll(s, TWELVE).merged()
    keep = cnn.sounding_windows(x12)
    assert np.array_equal(keep, sounding)
    got = cnn.probs(x12, keep)
    assert got == pytest.approx(p[sounding], abs=1e-6)
    j, pop, rock = (shipped.genres.index(g) for g in ("jazz", "pop", "rock"))
    assert cnn.p_target(got) == pytest.approx(p[sounding, j], abs=1e-6)
    assert cnn.p_source(got) == pytest.approx(p[sounding, pop] + p[sounding, rock], abs=1e-6)
    pair = TargetClassifier.load(shipped_classifier(), "jazz", ("pop",), cfg=TWELVE, among=("jazz", "pop"))
    both = pair.probs(x12, keep)
    assert both[:, j] == pytest.approx(p[sounding, j] / (p[sounding, j] + p[sounding, pop]), abs=1e-6)
    assert both.sum(1) == pytest.approx(1.0) and both[:, rock].max() == 0


def test_grids_it_can_and_cannot_read(shipped):
    assert shipped.on_grid(FOUR, window=32).window == 32  # its own grid: the generator's window
    assert shipped.on_grid(TWELVE, window=192).window == shipped.window  # coarsened: its own windows
    assert shipped.on_grid(RollConfig(steps_per_beat=6)) is None
    assert shipped.on_grid(RollConfig(low_pitch=20)) is None
    assert shipped.detect(np.zeros((2, 0, 84), np.float32)) is None
    silent = song([("Piano", 0, False, [(0.0, 0.1, 10, 80)])])  # below the grid's pitches: nothing sounds
    assert all(np.isnan(v) for v in shipped.song_probs(silent).values())
