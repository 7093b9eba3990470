"""A one-screen description of a song for ``midistyle inspect``."""
from __future__ import annotations

import numpy as np

from .config import RollConfig
from .errors import InputError
from .representation import Song, grid_report, song_to_roll
from .representation.basics import key_name, note_name
from .representation.midi_io import gm_name


def _q(quarters: float) -> str:
    """A position in quarters, to the hundredth: ``q0`` for a key a tick in, not ``q0.00208333``."""
    return f"{round(quarters, 2):g}"


def _listing(items: list[str], most: int = 6) -> str:
    if len(items) <= most:
        return ", ".join(items)
    return ", ".join(items[:most]) + f", ... ({len(items)} in all)"


def _model_grids(grids: dict[str, int] | None, shown: int) -> str:
    """``"the shipped models move them to their own grid (jazz 12 steps per quarter; pop, rock 4)"``."""
    if not grids:
        return f"convert moves them to the model's grid ({shown} steps per quarter here)"
    by_grid: dict[int, list[str]] = {}
    for genre, spb in grids.items():
        by_grid.setdefault(spb, []).append(genre)
    if len(by_grid) == 1:
        return f"convert and the shipped models move them to {next(iter(by_grid))} steps per quarter"
    parts = [f"to_{', to_'.join(gs)} {spb}" for spb, gs in sorted(by_grid.items(), reverse=True)]
    return f"convert moves them to each shipped model's grid (steps per quarter: {'; '.join(parts)})"


def describe(song: Song, cfg: RollConfig = RollConfig(), model_grids: dict[str, int] | None = None) -> str:
    """Tracks, meters, tempi, keys, bars and grid losses, with a verdict on model suitability.

    ``model_grids``: genre -> steps per quarter of the models convert would use, for the advice
    on onsets off the grid (see :func:`midistyle.transfer.shipped_grids`)."""
    lines = [f"{song.source}", f"  length   {song.duration_seconds():.1f} s, {song.end:.1f} quarters, "
                                f"{song.n_notes()} notes ({song.n_notes(drums=True)} drum)"]
    lines.append("  tracks")
    for i, t in enumerate(song.tracks):
        rng = f"{note_name(int(t.pitch.min()))}-{note_name(int(t.pitch.max()))}" if t.n_notes else "-"
        lines.append(f"    {i:>2} {t.name[:24] or '(unnamed)':<24} program {t.program:>3} "
                     f"{gm_name(t.program, t.is_drum)[:26]:<26} {t.n_notes:>6} notes  {rng}")
    lines.append("  meters   " + _listing([f"{n}/{d} at q{_q(q)}" for q, n, d in song.time_signatures]))
    lines.append("  tempi    " + _listing([f"{b:.1f} qpm at q{_q(q)}" for q, b in song.tempos]))
    if song.key_signatures:
        lines.append("  keys     " + _listing([f"{key_name(k)} at q{_q(q)}" for q, k in song.key_signatures]))
    warnings = []
    try:
        roll = song_to_roll(song, cfg) if song.n_notes(drums=False) else None
    except InputError as exc:  # e.g. too long for the grid: say so instead of failing
        roll, warnings = None, [exc.reason]
    if roll is not None:
        rep = grid_report(song, cfg)
        lengths = np.diff(roll.bar_starts)
        lines.append(f"  bars     {roll.n_bars} ({cfg.steps_per_beat} steps per quarter; "
                     f"bar lengths {sorted(set(lengths.tolist()))} steps)")
        n = max(rep["pitched_notes"], 1)
        lines.append(f"  grid     {rep['off_grid_onsets']} of {rep['pitched_notes']} onsets off the grid "
                     f"({100 * rep['off_grid_onsets'] / n:.0f}%), {rep['out_of_range']} pitches outside "
                     f"{note_name(cfg.low_pitch)}-{note_name(cfg.high_pitch)}, "
                     f"{rep['shorter_than_step']} notes shorter than a step, {rep['merged']} merged")
        if rep["off_grid_onsets"] > 0.2 * n:
            warnings.append(f"many onsets are off the grid of {cfg.steps_per_beat} steps per quarter (performance "
                            f"timing or triplets): {_model_grids(model_grids, cfg.steps_per_beat)}; "
                            "`quantize --steps-per-beat 12` lets you hear a finer grid, and a model for one is "
                            "trained from `prepare --steps-per-beat 12`; a performance whose tempo map does not "
                            "follow its beat: `inspect FILE --align-beats` estimates the beats from the notes")
        if rep["out_of_range"] > 0.05 * n:
            warnings.append("many pitches fall outside the models' range and will be dropped")
        if all(num * 4 / den < 2 for _, num, den in song.time_signatures):
            warnings.append("bars are shorter than two quarters (a 1/4 meter as in POP909?): "
                            "prepare regroups such files into 4/4")
    elif not warnings:
        warnings.append("no pitched notes: nothing for the models to convert")
    lines.append("  verdict  " + ("suits the models" if not warnings else "; ".join(warnings)))
    return "\n".join(lines)
