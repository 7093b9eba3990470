"""representation/windows.py: phrase windows over a song, blended back, and grids coarsened."""
from __future__ import annotations

import numpy as np
import pytest

from midistyle.config import RollConfig
from midistyle.representation.windows import coarsen, grid_factor, overlap_add, windows


def test_windows_cover_the_song_and_blend_back():
    x = np.random.default_rng(0).random((2, 150, 84)).astype(np.float32)
    cut, starts = windows(x, 64)
    assert cut.shape == (len(starts), 2, 64, 84) and starts.tolist() == [0, 32, 64, 96]
    assert np.allclose(overlap_add(cut, starts, 150), x, atol=1e-6)


def test_coarsen_keeps_every_onset_and_sounding_step_on_the_coarser_grid():
    x = np.zeros((2, 14, 3), np.float32)
    x[0, 1, 0] = x[1, 1:7, 0] = 1  # a triplet-position onset, sounding 6 fine steps
    x[0, 13, 2] = x[1, 13, 2] = 1  # the last, partial coarse step
    y = coarsen(x, 3)
    assert y.shape == (2, 5, 3) and y.dtype == np.float32
    assert y[0, :, 0].tolist() == [1, 0, 0, 0, 0] and y[1, :, 0].tolist() == [1, 1, 1, 0, 0]
    assert y[:, 4, 2].tolist() == [1, 1] and y[:, :4, 2].sum() == 0 and y[:, :, 1].sum() == 0
    assert coarsen(x, 1) is x
    assert grid_factor(RollConfig(steps_per_beat=12), RollConfig()) == 3 and grid_factor(RollConfig(), RollConfig()) == 1
    assert grid_factor(RollConfig(steps_per_beat=6), RollConfig()) is None
    assert grid_factor(RollConfig(steps_per_beat=12, high_pitch=108), RollConfig()) is None
    with pytest.raises(ValueError, match="factor"):
        coarsen(x, 0)
