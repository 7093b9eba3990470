"""The reduction a StarGAN generator may read instead of its input: the song without its texture.

:func:`reduce_roll` keeps the top line (the melody) as it is and turns every other note into a block
held over the beats it fills: a pitch sounds for a whole beat when it sounded for at least a quarter
of it (a 16th note; arpeggios become their chord), and is struck at the beat's start when it was
struck anywhere in the beat or was silent the beat before. Harmony, voicing, register and the melody
stay; accompaniment rhythm (arpeggios, re-struck chords, swing, syncopation) goes. A generator
trained to rebuild real phrases of each genre from their reduction, coded with the genre (StarGAN's
identity loss), learns each genre's texture as the way from the reduction back to the music; coded
with another genre it re-textures the same song.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

from .blocks import straight_through

HELD_SHARE = 0.25  # a pitch joins a beat's block when it sounds for this share of the beat


def top_line(sus: torch.Tensor) -> torch.Tensor:
    """Bool [B, T, P]: per time step the highest pitch row sounding above 0.5 (none in a silent step)."""
    on = sus > 0.5
    rows = torch.arange(sus.shape[-1], device=sus.device)
    highest = torch.where(on, rows, -1).amax(-1, keepdim=True)  # [B, T, 1]
    return on & (rows == highest)


def reduce_roll(x: torch.Tensor, beat: int) -> torch.Tensor:
    """The reduction of model rolls ``x`` [B, 2, T, P] (0 onset, 1 sustain) with beats of ``beat`` steps,
    the first beat starting at step 0: same shape and dtype, values in [0, 1].

    Gradients pass straight through the thresholds (a generator's soft output can be reduced inside
    a cycle loss). A single line is unchanged; so are chords held on the beats under it.
    """
    if beat < 1:
        raise ValueError(f"reduce_roll needs a beat of at least 1 step, got {beat}")
    b, _, t, p = x.shape
    sounding = torch.maximum(x[:, 0], x[:, 1])
    top = top_line(sounding).to(x.dtype)
    on, sus = x[:, 0] * (1 - top), sounding * (1 - top)  # the blocks are made of the other notes
    pad = (-t) % beat
    if pad:
        on, sus = F.pad(on, (0, 0, 0, pad)), F.pad(sus, (0, 0, 0, pad))
    n = (t + pad) // beat
    per_beat = lambda v: v.reshape(b, n, beat, p)  # noqa: E731
    held_soft = per_beat(sus).mean(2)  # [B, n, P]: the share of the beat the pitch sounds
    held = straight_through(held_soft >= HELD_SHARE - 1e-6, held_soft)
    struck_soft = per_beat(on).amax(2)
    struck = straight_through(struck_soft > 0.5, struck_soft)
    before = F.pad(held[:, :-1], (0, 0, 1, 0)).detach() > 0.5
    block_on = held * torch.where(before, struck, torch.ones_like(struck))
    block_on = F.pad(block_on[:, :, None, :], (0, 0, 0, beat - 1)).reshape(b, n * beat, p)[:, :t]  # beat starts
    block_sus = held[:, :, None, :].expand(b, n, beat, p).reshape(b, n * beat, p)[:, :t]
    out_on = torch.maximum(block_on, x[:, 0] * top)
    out_sus = torch.maximum(block_sus, sounding * top)
    return torch.stack([out_on, out_sus], dim=1)
