"""Before/after by role: one lane per role (melody, bass, comp, drums), the source beside the output.

Each lane holds the tracks a lead sheet (:func:`midistyle.analysis.leadsheet.read_lead_sheet`) gives
that role, on the first song's bar grid, with each track's General MIDI instrument in its legend;
drums are drawn on their kit lanes (kick, snare, hi-hats, toms, crash, ride). The drawing is
:mod:`.plots`' piano roll, so bar lines, beats and onset ticks look the same; matplotlib is
imported only when drawing.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..analysis.leadsheet import ROLES, LeadSheet
from ..config import RollConfig
from ..representation.drums import LANES, tracks_to_lanes
from ..representation.midi_io import gm_name
from ..representation.roll import song_to_roll
from ..representation.song import Track
from .plots import _bar_window, _draw_roll, _figure, _pitch_span, _plain, _save, select_bars
from .scoring import fit_steps

Lane = tuple[np.ndarray, np.ndarray, list[str]]
"""(onset, sustain) ``[n_tracks, T, P]`` (drums: ``[1, T, L]`` kit lanes) and one label per slice."""


def instrument_label(track: Track) -> str:
    """``name: GM instrument (program)``, e.g. ``Lead: Flute (73)``; drums name their kit program."""
    what = f"drum kit {track.program}" if track.is_drum else f"{gm_name(track.program, False)} ({track.program})"
    return f"{track.name}: {what}" if track.name else what


def role_lanes(lead: LeadSheet, n_steps: int, cfg: RollConfig = RollConfig()) -> dict[str, Lane]:
    """Role -> its tracks on the grid, cut or padded to ``n_steps``, for every role the lead sheet has.

    A role's pitched tracks stay apart (one colour each); all drum tracks fold into one kit-lane slice.
    """
    out: dict[str, Lane] = {}
    for role in ROLES:
        tracks = lead.part(role)
        if not tracks:
            continue
        labels = [instrument_label(t) for t in tracks]
        if role == "drums":
            onset = tracks_to_lanes(tracks, n_steps, cfg)[0][None]
            out[role] = (onset, onset, [", ".join(dict.fromkeys(labels))])
        else:
            roll = song_to_roll(lead.song.with_tracks(list(tracks)), cfg)
            out[role] = (fit_steps(roll.onset, n_steps), fit_steps(roll.sustain, n_steps), labels)
    return out


def _lane_height(role: str, span: tuple[int, int]) -> float:
    if role == "drums":
        return 1.7
    return float(np.clip((span[1] - span[0] + 1) / 12 * 0.8 + 0.6, 1.5, 3.5))


def plot_roles(before: Mapping[str, Lane], after: Mapping[str, Lane], bar_starts: Sequence[int], cfg: RollConfig,
               out_png: str | os.PathLike, *, names: tuple[str, str] = ("before", "after"), bars=None,
               roles: Sequence[str] = ROLES) -> dict:
    """Draw one lane per role, ``before`` on the left and ``after`` beside it, to ``out_png`` (atomically).

    Parameters
    ----------
    before, after : role -> lane, as :func:`role_lanes` gives; a role one side lacks is drawn as
        an empty lane saying so (a genre without drums).
    bar_starts : step of each bar line (the last = T), shared by both sides.
    names : column titles.
    bars : only bars ``A:B`` (0-based, end excluded), a slice or a pair.

    Returns
    -------
    dict : ``lanes`` (the roles, top to bottom), ``instruments`` (role -> [labels before, labels
    after]) and ``size`` (width, height) of the PNG in pixels.
    """
    sides = (before, after)
    n_steps = int(np.asarray(bar_starts)[-1])
    window = _bar_window(bar_starts, bars, n_steps)
    spans = {}
    for role in roles:
        if role == "drums":
            spans[role] = (cfg.low_pitch, cfg.low_pitch + len(LANES) - 1)
        else:
            shown = [(s[role][0] | s[role][1])[:, window[1]:window[2]] for s in sides if role in s]
            spans[role] = _pitch_span(shown, cfg)
    heights = [_lane_height(r, spans[r]) for r in roles]
    width = float(np.clip((window[2] - window[1]) / (4 * cfg.steps_per_beat) * 0.7 + 2.5, 6, 14))
    fig = _figure(2 * width, sum(heights) + 0.6, layout="constrained")
    axes = fig.subplots(len(roles), 2, sharex=True, squeeze=False, gridspec_kw={"height_ratios": heights})
    for r, role in enumerate(roles):
        for c, side in enumerate(sides):
            ax = axes[r, c]
            if role in side:
                onset, sustain, labels = side[role]
                _draw_roll(ax, sustain, onset, bar_starts, cfg, window, spans[role], labels)
            else:
                ax.set_xlim(window[1], window[2])
                ax.set_yticks([])
                ax.text(0.5, 0.5, f"no {role}", transform=ax.transAxes, ha="center", va="center", color="0.4")
            if role == "drums":
                ax.set_yticks(cfg.low_pitch + np.arange(len(LANES)), [lane.replace("_", " ") for lane in LANES],
                              fontsize="x-small")
                ax.set_ylim(spans[role][0] - 0.5, spans[role][1] + 0.5)
            ax.set_ylabel(role, fontweight="bold")
            if r == 0:
                ax.set_title(_plain(names[c]))
    for ax in axes[-1]:
        ax.set_xlabel("bar")
    _save(fig, out_png)
    size = fig.get_size_inches() * fig.dpi
    return {"lanes": list(roles), "size": (int(round(size[0])), int(round(size[1]))),
            "instruments": {role: [side[role][2] if role in side else [] for side in sides] for role in roles}}


def compare_roles(a_path: str | os.PathLike, b_path: str | os.PathLike, out_png: str | os.PathLike, *,
                  bars: tuple[int | None, int | None] | None = None, cfg: RollConfig | None = None) -> dict:
    """Read A and B as lead sheets and draw them role by role, side by side, on A's bars.

    ``cfg``: the grid (None: the finest either file's onsets need, as
    :func:`midistyle.evaluate.report.compare` picks it). Returns :func:`plot_roles`' dict plus
    ``bars`` (A's bar count), ``drawn`` (first, end) and ``steps_per_beat``. InputError:
    unreadable input, or ``bars`` selecting none of A's bars.
    """
    from ..analysis.leadsheet import read_lead_sheet
    from ..representation.roll import bar_lines, to_steps
    from .report import read_pair

    song_a, song_b, cfg = read_pair(a_path, b_path, cfg)
    bar_starts = to_steps(bar_lines(song_a), cfg)
    chosen = select_bars(bars, len(bar_starts) - 1, a_path)
    n_steps = int(bar_starts[-1])
    lanes = [role_lanes(read_lead_sheet(s), n_steps, cfg) for s in (song_a, song_b)]
    info = plot_roles(*lanes, bar_starts, cfg, out_png, names=(Path(a_path).name, Path(b_path).name), bars=bars)
    return {**info, "bars": len(bar_starts) - 1, "drawn": (chosen.start, chosen.stop),
            "steps_per_beat": cfg.steps_per_beat}
