"""PNG pictures for evaluation: piano rolls, before/after comparisons, metric bars, P(target) histograms.

matplotlib is imported inside each function (importing this module stays cheap) and figures are
drawn on an Agg canvas without pyplot, so no global backend is switched. Every PNG is written
atomically: a failed draw or write leaves no file and keeps an existing one.

A "roll" argument of :func:`plot_compare` is either a pair ``(onset, sustain)`` of ``[T, P]`` or
``[n_tracks, T, P]`` arrays, or one array in the model layout ``[2, T, P]`` / ``[n_tracks, 2, T, P]``
(channel 0 onset, channel 1 sustain). Float arrays count as on above 0.5.
"""
from __future__ import annotations

import os
from typing import Collection, Mapping, Sequence

import numpy as np

from ..atomic import atomic_path
from ..config import RollConfig
from ..errors import InputError
from ..representation.basics import note_name
from .metrics import as_tracks, beat_bounds, check_bar_starts, note_array

_DPI = 100


def _figure(width: float, height: float, **kwargs):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI, **kwargs)
    FigureCanvasAgg(fig)
    return fig


def _plain(text) -> str:
    """Text shown as typed: matplotlib would read ``$...$`` in names as maths (and may fail)."""
    return str(text).replace("$", r"\$")


def _save(fig, out_png: str | os.PathLike) -> None:
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=_DPI)


def select_bars(bars, n_bars: int, source) -> range:
    """The bars ``bars`` (a pair (A, B) like a Python slice, or None for all) picks of ``n_bars``;
    InputError naming ``source`` when it picks none (a reversed range, or one past the end)."""
    chosen = range(n_bars) if bars is None else range(n_bars)[slice(*bars)]
    if len(chosen) == 0:
        a, b = ("" if v is None else v for v in bars)
        raise InputError(source, f"bars {a}:{b} select none of its {n_bars} bars "
                                 f"(numbered from 0, end excluded: e.g. --bars 0:{min(8, n_bars)})")
    return chosen


def _bar_window(bar_starts: Sequence[int], bars, n_steps: int) -> tuple[int, int, int]:
    """(first bar index, first step, end step) of the bars selected by ``bars``."""
    b = check_bar_starts(bar_starts, n_steps)
    if bars is None:
        return 0, 0, n_steps
    if isinstance(bars, tuple):
        bars = slice(*bars)
    if not isinstance(bars, slice) or bars.step not in (None, 1):
        raise ValueError(f"bars must be a slice A:B (or a pair) with step 1, got {bars!r}")
    chosen = range(len(b) - 1)[bars]
    if len(chosen) == 0:
        raise ValueError(f"bars {bars!r} selects no bar of {len(b) - 1}")
    return chosen.start, int(b[chosen.start]), int(b[chosen.stop])


def _pitch_span(rolls: Sequence[np.ndarray], cfg: RollConfig) -> tuple[int, int]:
    """Lowest and highest MIDI pitch to show: the used range widened to whole octaves (C..B)."""
    used = np.flatnonzero(np.any([r.any((0, 1)) for r in rolls], 0))
    if len(used) == 0:
        lo, hi = 60, 71
    else:
        lo = (used[0] + cfg.low_pitch) // 12 * 12
        hi = (used[-1] + cfg.low_pitch) // 12 * 12 + 11
    return max(lo, cfg.low_pitch), min(hi, cfg.high_pitch)


def _draw_roll(ax, sustain, onset, bar_starts, cfg, window, span, track_names) -> None:
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.patches import Patch

    first_bar, s0, s1 = window
    colours = [f"C{i % 10}" for i in range(sustain.shape[0])]
    notes = note_array(onset, sustain)  # whole roll, so a note held into the window keeps no onset tick
    notes = notes[(notes[:, 2] > s0) & (notes[:, 1] < s1)]
    x0 = np.maximum(notes[:, 1], s0)
    x1 = np.minimum(notes[:, 2], s1) - 0.12  # a small gap so back-to-back notes stay apart
    y = notes[:, 3] + cfg.low_pitch
    verts = np.stack([np.stack([x0, y - 0.4], 1), np.stack([x1, y - 0.4], 1),
                      np.stack([x1, y + 0.4], 1), np.stack([x0, y + 0.4], 1)], 1)
    ax.add_collection(PolyCollection(verts, facecolors=[colours[t] for t in notes[:, 0]],
                                     edgecolors="none", alpha=0.85))
    # Onsets: a dark tick at each note start, so a repeated note reads differently from a held one.
    fresh = notes[:, 1] >= s0
    ticks = np.stack([np.stack([x0, y - 0.5], 1), np.stack([x0, y + 0.5], 1)], 1)[fresh]
    ax.add_collection(LineCollection(ticks, colors="black", linewidths=1.4))

    bars = check_bar_starts(bar_starts, sustain.shape[1])
    shown = bars[(bars >= s0) & (bars <= s1)]
    beats = np.setdiff1d(beat_bounds(cfg, bars), bars)
    beats = beats[(beats > s0) & (beats < s1)]
    ax.vlines(beats, span[0] - 0.5, span[1] + 0.5, colors="0.85", linewidths=0.5, zorder=0)
    ax.vlines(shown, span[0] - 0.5, span[1] + 0.5, colors="0.35", linewidths=1.0, zorder=0)
    cs = [p for p in range(span[0], span[1] + 1) if p % 12 == 0]
    ax.hlines([c - 0.5 for c in cs], s0, s1, colors="0.9", linewidths=0.5, zorder=0)
    ax.set_yticks(cs, [note_name(c) for c in cs])
    ax.set_ylim(span[0] - 0.5, span[1] + 0.5)
    ax.set_xlim(s0, s1)
    labels = np.arange(first_bar, first_bar + len(shown))
    every = max(1, int(np.ceil(len(shown) / 32)))
    ax.set_xticks(shown[::every], [str(i + 1) for i in labels[::every]])
    ax.set_ylabel("pitch")
    if (track_names is not None or len(colours) > 1):
        names = list(track_names) if track_names is not None else [f"track {i}" for i in range(len(colours))]
        if len(names) != len(colours):
            raise ValueError(f"{len(names)} track names for {len(colours)} tracks")
        ax.legend(handles=[Patch(color=c, label=_plain(n)) for c, n in zip(colours, names)],
                  loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize="small", frameon=False)


def _size(n_steps: int, span: tuple[int, int], cfg: RollConfig) -> tuple[float, float]:
    width = float(np.clip(n_steps / (4 * cfg.steps_per_beat) * 0.9 + 1.5, 6, 30))
    height = float(np.clip((span[1] - span[0] + 1) / 12 * 0.9 + 1.2, 3, 10))
    return width, height


def plot_roll(sustain_by_track, onset_by_track, bar_starts, cfg: RollConfig, out_png, *,
              track_names: Sequence[str] | None = None, bars=None, title: str | None = None) -> None:
    """Draw a piano roll to ``out_png``.

    Parameters
    ----------
    sustain_by_track, onset_by_track : array [n_tracks, T, P] (or [T, P])
        Sounding steps and note starts per track; each track gets its own colour.
    bar_starts : int array [n_bars + 1]
        Bar lines and the bar numbers on the time axis.
    cfg : RollConfig
        Column ``j`` is MIDI pitch ``cfg.low_pitch + j``.
    out_png : path
        Written atomically.
    track_names : list of str, optional
        Legend labels, one per track (default "track i").
    bars : slice, optional
        Only bars ``A:B`` (0-based, like Python slicing); a pair ``(A, B)`` works too.
    title : str, optional
    """
    sustain, onset = as_tracks(sustain_by_track, "sustain"), as_tracks(onset_by_track, "onset")
    if sustain.shape != onset.shape:
        raise ValueError(f"sustain {sustain.shape} and onset {onset.shape} differ in shape")
    window = _bar_window(bar_starts, bars, sustain.shape[1])
    span = _pitch_span([sustain[:, window[1]:window[2]] | onset[:, window[1]:window[2]]], cfg)
    fig = _figure(*_size(window[2] - window[1], span, cfg), layout="constrained")
    ax = fig.add_subplot()
    _draw_roll(ax, sustain, onset, bar_starts, cfg, window, span, track_names)
    ax.set_xlabel("bar")
    if title:
        ax.set_title(_plain(title))
    _save(fig, out_png)


def _onset_sustain(roll, name: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(roll, (tuple, list)):
        if len(roll) != 2:
            raise ValueError(f"{name}: a pair (onset, sustain) is needed, got {len(roll)} items")
        return as_tracks(roll[0], f"{name} onset"), as_tracks(roll[1], f"{name} sustain")
    arr = np.asarray(roll)
    if arr.ndim == 3 and arr.shape[0] == 2:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[1] != 2:
        raise ValueError(f"{name}: need (onset, sustain) or [.., 2, T, P], got shape {arr.shape}")
    return as_tracks(arr[:, 0], f"{name} onset"), as_tracks(arr[:, 1], f"{name} sustain")


def plot_compare(before_roll_tracks, after_roll_tracks, bar_starts, cfg: RollConfig, out_png, *,
                 names: tuple[str, str] = ("before", "after"), bars=None,
                 track_names: tuple[Sequence[str] | None, Sequence[str] | None] = (None, None)) -> None:
    """Two piano rolls one above the other on a shared time and pitch axis, bar lines aligned.

    ``before_roll_tracks`` / ``after_roll_tracks`` are rolls as described in the module docstring
    and must share the grid (T, P); they may have different track counts.
    """
    rolls = [_onset_sustain(before_roll_tracks, names[0]), _onset_sustain(after_roll_tracks, names[1])]
    if rolls[0][0].shape[1:] != rolls[1][0].shape[1:]:
        raise ValueError(f"grids differ: {rolls[0][0].shape[1:]} vs {rolls[1][0].shape[1:]}")
    window = _bar_window(bar_starts, bars, rolls[0][0].shape[1])
    span = _pitch_span([(on | sus)[:, window[1]:window[2]] for on, sus in rolls], cfg)
    width, height = _size(window[2] - window[1], span, cfg)
    fig = _figure(width, 2 * height, layout="constrained")
    axes = fig.subplots(2, 1, sharex=True, sharey=True)
    for ax, (onset, sustain), name, tnames in zip(axes, rolls, names, track_names):
        _draw_roll(ax, sustain, onset, bar_starts, cfg, window, span, tnames)
        ax.set_title(_plain(name))
    axes[-1].set_xlabel("bar")
    _save(fig, out_png)


ERROR_BARS = "bars: mean over songs; error bars: one standard deviation across songs"


def bar_stats(values, unit: bool = False) -> tuple[float, float, float]:
    """(mean, error below, error above) of per-song ``values`` (NaNs ignored): one standard
    deviation each way, cut at 0 and 1 when ``unit`` (a rate cannot leave 0-1)."""
    v = np.atleast_1d(np.asarray(values, float))
    ok = v[np.isfinite(v)]
    if not len(ok):
        return float("nan"), 0.0, 0.0
    mean, sd = float(ok.mean()), float(ok.std()) if len(ok) > 1 else 0.0
    if not unit:
        return mean, sd, sd
    return mean, mean - max(0.0, mean - sd), min(1.0, mean + sd) - mean


def plot_metrics_bars(groups: Mapping[str, Mapping[str, float | Sequence[float]]], out_png, *,
                      keys: Sequence[str] | None = None, title: str | None = None,
                      unit_keys: Collection[str] = ()):
    """Grouped bars of metrics, one panel per metric (each with its own scale).

    Parameters
    ----------
    groups : mapping name -> {metric: value or per-song values}
        E.g. ``{"sources": ..., "outputs": ..., "target genre (real)": ...}``. Per-song values are
        drawn as their mean with a standard-deviation error bar (said under the panels); NaNs are
        ignored. Each mean is written under its bar, clear of the error bars.
    keys : list of str, optional
        Metrics to draw, in order (default: every key of the first group).
    unit_keys : metrics that are rates in 0-1: their axis and error bars stay within 0-1.

    Returns
    -------
    The matplotlib Figure (already written to ``out_png``).
    """
    keys = list(keys) if keys is not None else list(next(iter(groups.values()), {}))
    if not groups or not keys:
        raise ValueError("plot_metrics_bars needs at least one group and one metric")
    cols = min(3, len(keys))
    rows = int(np.ceil(len(keys) / cols))
    fig = _figure(4.0 * cols, 3.2 * rows + 0.8, layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    x = np.arange(len(groups))
    for ax, key in zip(axes, keys):
        stats = [bar_stats(values.get(key, np.nan), key in unit_keys) for values in groups.values()]
        means = [m for m, _, _ in stats]
        ax.bar(x, means, yerr=np.array([[lo for _, lo, _ in stats], [hi for _, _, hi in stats]]),
               color=[f"C{i % 10}" for i in x], capsize=3)
        ax.set_xticks(x, [f"{_plain(name)}\n{m:.3g}" for name, m in zip(groups, means)], fontsize="small")
        ax.set_title(key.replace("_", " "), fontsize="medium")
        if key in unit_keys:
            ax.set_ylim(0, 1.05)
            ax.set_ylabel("rate (0-1)", fontsize="small")
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(_plain(title))
    fig.supxlabel(ERROR_BARS + (" (kept within 0-1 for rates)" if unit_keys else ""), fontsize="small")
    _save(fig, out_png)
    return fig


def plot_target_hist(p_before, p_after, out_png, *, target_name: str = "target",
                     names: tuple[str, str] = ("before", "after"), bins: int = 20) -> None:
    """Histograms of the classifier's P(target) before and after transfer, on [0, 1], with means."""
    fig = _figure(6.5, 3.8, layout="constrained")
    ax = fig.add_subplot()
    edges = np.linspace(0.0, 1.0, bins + 1)
    for i, (p, name) in enumerate(zip((p_before, p_after), names)):
        p = np.asarray(p, float).ravel()
        p = p[np.isfinite(p)]
        ax.hist(p, bins=edges, alpha=0.5, color=f"C{i}", label=f"{_plain(name)} (mean {np.nanmean(p):.2f})")
        ax.axvline(np.nanmean(p), color=f"C{i}", linestyle="--")
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"P({target_name})")
    ax.set_ylabel("count")
    ax.legend()
    _save(fig, out_png)


# what each style-profile panel shows (features of one unit) and its y axis
STYLE_PANELS = {
    "sonority": ("share of beats", None),
    "onset": ("share of onsets (coverage: of beats)", None),
    "polyphony": ("share of sounding time / of notes",
                  ("poly_1", "poly_2", "poly_3", "poly_4plus", "silence", "dur_16th", "dur_8th", "dur_quarter",
                   "dur_half", "dur_long")),
    "lines": ("share of melodic moves", tuple(f"{line}_{i}" for line in ("top", "bass") for i in
                                              ("repeat", "step", "third", "fourth_fifth", "leap", "wide"))),
    "register": ("MIDI pitch (60 = middle C) / semitones",
                 ("pitch_mean", "top_mean", "bass_mean", "pitch_range", "span_mean")),
    "pitch_classes": ("distinct pitch classes", ("pcs_per_beat", "pcs_per_4beats", "pcs_used")),
    "key_profile": ("share of sounding time", None),
}


def plot_style_profile(groups: Mapping[str, Mapping], out_png, *, names: Sequence[str], target: str = "the target",
                       title: str | None = None):
    """Small multiples of the style profile: one panel per feature group, grouped bars per feature.

    ``groups``: group -> {"features": {feature: [value per series]}, "moved": "toward"/"away"/"same"/None};
    ``names``: the series, e.g. ("sources", "outputs", "real jazz"). Each panel's title says whether
    the group moved toward the target.
    """
    panels = [g for g in STYLE_PANELS if g in groups]
    if not panels:
        raise ValueError("plot_style_profile needs at least one feature group")
    fig = _figure(15.0, 3.3 * int(np.ceil(len(panels) / 2)) + 0.6, layout="constrained")
    axes = np.atleast_1d(fig.subplots(int(np.ceil(len(panels) / 2)), 2, squeeze=False)).ravel()
    width = 0.8 / len(names)
    for ax, group in zip(axes, panels):
        label, shown = STYLE_PANELS[group]
        feats = {k: v for k, v in groups[group]["features"].items() if shown is None or k in shown}
        x = np.arange(len(feats))
        for i, name in enumerate(names):
            vals = [np.nan if v[i] is None else v[i] for v in feats.values()]
            ax.bar(x + (i - (len(names) - 1) / 2) * width, vals, width, color=f"C{i}", label=_plain(name))
        prefix = {"sonority": "son_", "onset": "onset_", "key_profile": "degree_"}.get(group, "")
        ax.set_xticks(x, [k[len(prefix):] if k.startswith(prefix) else k for k in feats], rotation=40,
                      ha="right", fontsize="small")
        moved = groups[group].get("moved")
        said = {"toward": f"moved toward {target}", "away": f"moved away from {target}", "same": "unchanged"}
        ax.set_title(f"{group.replace('_', ' ')}" + (f": {said[moved]}" if moved else ""), fontsize="medium",
                     fontweight="bold" if moved == "toward" else "normal")
        ax.set_ylabel(label, fontsize="small")
    axes[0].legend(fontsize="small")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(_plain(title))
    _save(fig, out_png)
    return fig
