"""The reduction a StarGAN generator can read (models/reduction.py): melody kept, the rest as beat blocks."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from midistyle.config import ModelConfig
from midistyle.errors import ConfigError
from midistyle.models.generator import Generator, genre_code
from midistyle.models.reduction import reduce_roll, top_line

BEAT = 12


def _roll(t: int = 2 * BEAT, p: int = 16) -> torch.Tensor:
    return torch.zeros(1, 2, t, p)


def _note(x: torch.Tensor, start: int, end: int, pitch: int) -> None:
    x[0, 0, start, pitch] = 1
    x[0, 1, start:end, pitch] = 1


def _held(r: torch.Tensor, pitch: int) -> list[int]:
    """Per beat: 1 when ``pitch`` sounds for the whole beat in reduction ``r``, 0 when silent in all of it."""
    sus = r[0, 1, :, pitch].reshape(-1, BEAT)
    assert bool(((sus == 0) | (sus == 1)).all())
    whole = sus.sum(1)
    assert bool(((whole == 0) | (whole == BEAT)).all()), whole
    return [int(v > 0) for v in whole]


def test_a_single_line_is_unchanged():
    x = _roll()
    for i, start in enumerate(range(0, 2 * BEAT - 3, 3)):  # 16th notes, then a held note
        _note(x, start, start + 2, 5 + i % 3)
    _note(x, 2 * BEAT - 3, 2 * BEAT, 9)
    assert torch.equal(reduce_roll(x, BEAT), x)


def test_arpeggio_under_the_melody_becomes_its_chord_struck_on_the_beat():
    x = _roll()
    _note(x, 0, 2 * BEAT, 15)  # melody, held
    for i, start in enumerate(range(0, 2 * BEAT, 4)):  # triplet arpeggio C-E-G
        _note(x, start, start + 4, (0, 4, 7)[i % 3])
    r = reduce_roll(x, BEAT)
    for pitch in (0, 4, 7):
        assert _held(r, pitch) == [1, 1]
        assert r[0, 0, :, pitch].nonzero().flatten().tolist() == [0, BEAT]  # struck in each beat: re-struck
    assert torch.equal(r[:, :, :, 15], x[:, :, :, 15])  # the melody as it was
    assert int(r[0, 0].sum()) == 1 + 3 * 2


def test_held_notes_stay_held_syncopations_move_to_the_beat_and_short_notes_go():
    x = _roll(t=3 * BEAT)
    _note(x, 0, 3 * BEAT, 15)  # melody
    _note(x, 0, 3 * BEAT, 0)  # bass held three beats: struck once
    _note(x, BEAT // 2, BEAT + BEAT // 2, 7)  # anticipation across the beat: half of each beat
    _note(x, 2 * BEAT, 2 * BEAT + 2, 4)  # a grace note, a sixth of a beat
    r = reduce_roll(x, BEAT)
    assert _held(r, 0) == [1, 1, 1] and r[0, 0, :, 0].nonzero().flatten().tolist() == [0]
    assert _held(r, 7) == [1, 1, 0] and r[0, 0, :, 7].nonzero().flatten().tolist() == [0]
    assert _held(r, 4) == [0, 0, 0] and int(r[0, 0, :, 4].sum()) == 0


def test_top_line_is_the_highest_sounding_pitch_per_step():
    sus = torch.zeros(1, 4, 8)
    sus[0, :, 2] = 1
    sus[0, 1:3, 6] = 1
    assert top_line(sus)[0].nonzero().tolist() == [[0, 2], [1, 6], [2, 6], [3, 2]]


def test_reduction_passes_gradients_straight_through_and_checks_its_beat():
    x = _roll()
    _note(x, 0, 2 * BEAT, 15)
    _note(x, 2, 8, 3)
    x.requires_grad_(True)
    reduce_roll(x, BEAT).sum().backward()
    assert x.grad[0, :, 2:8, 3].abs().sum() > 0 and x.grad[0, :, :, 15].abs().sum() > 0
    with pytest.raises(ValueError, match="beat"):
        reduce_roll(x, 0)


def test_generator_with_reduce_beat_reads_the_reduction_only():
    torch.manual_seed(0)
    config = ModelConfig(kind="generator", base_channels=4, n_res_blocks=1, cond_dim=4, input_skip=3.0,
                         reduce_beat=BEAT)
    G = Generator(config).eval()
    x = (torch.rand(2, 2, 4 * BEAT, 16) > 0.8).float()
    code = genre_code(torch.tensor([0, 1]), None, 2)
    plain = Generator(dataclasses.replace(config, reduce_beat=0)).eval()
    plain.load_state_dict(G.state_dict())  # same weights: the reduction is no parameter
    with torch.no_grad():
        assert torch.allclose(G(x, code=code), plain(reduce_roll(x, BEAT), code=code))
        assert not torch.allclose(G(x, code=code), plain(x, code=code))
    with pytest.raises(ConfigError, match="reduce_beat"):
        ModelConfig(kind="generator", reduce_beat=-1)
