"""Evaluation reports and before/after pictures.

:func:`evaluate` converts songs (or reads songs converted earlier), scores them against two
baselines (see :mod:`midistyle.evaluate.scoring`) and writes a report folder::

    report.md         honest summary, tables, links to the pictures
    report.json       the same numbers plus one record per song (NaN written as null)
    musicality.png    musicality of the sources, the outputs and real music of the target genre
    content.png       content kept by the model and by the baselines, per song
    target_hist.png   classifier P(target) per phrase window, inputs vs outputs (with a classifier)
    style_profile.png the style judge's feature groups: sources, outputs, real target music
    compare.png       the first song before/after (its first bars)
    converted/        the converted MIDI files (when evaluate converted them itself)

The folder is built beside its final place and renamed into it at the end, so an interrupted
run leaves no half report. :func:`compare` draws two songs bar by bar on the first one's grid.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..atomic import atomic_dir, check_writable
from ..config import RollConfig, to_dict
from ..errors import InputError, Interrupted, OutputError, one_line
from ..representation import read, song_to_roll, write_midi
from ..representation.beats import on_grid
from ..representation.files import MIDI_SUFFIXES, Piece, file_pieces, find_pieces
from ..representation.midi_io import from_midi_bytes, split_tune
from .arrangement import content
from .metrics import CONTENT_KEYS, MUSICALITY_KEYS, UNIT_KEYS, mean_metrics, musicality
from .scoring import GROUPS, SongScore, TargetClassifier, direction, fit_steps, score_song, strength_table
from . import converters
from .style_report import load_recorder, trained_against

REPORT_MD, REPORT_JSON = "report.md", "report.json"
PLOT_FILES = {"style_profile": "style_profile.png", "musicality": "musicality.png", "content": "content.png",
              "target_hist": "target_hist.png", "compare": "compare.png"}
MAX_TARGET_FILES = 100  # real target-genre songs read when no max_files is given
COMPARE_BARS = 16
FORMAT, VERSION = "midistyle-report", 1


def evaluate(inputs: Sequence[str | os.PathLike] | str | os.PathLike, to: str, *, out_dir: str | os.PathLike,
             model: str | os.PathLike | None = None, classifier: str | os.PathLike | bool | None = None,
             converted_dir: str | os.PathLike | None = None,
             target_real: Sequence[str | os.PathLike] | str | os.PathLike | None = None,
             seed: int = 0, threshold: float = 0.5, max_files: int | None = None, force: bool = False,
             device: str | None = None, progress: Callable[[int], None] | None = None,
             style_judge: str | os.PathLike | bool | None = None, cnn_among: Sequence[str] = (),
             edit: bool = False) -> dict:
    """Convert ``inputs`` to genre ``to``, measure the result and write a report folder.

    Parameters
    ----------
    inputs : list of paths, or a folder (every MIDI/score file under it); each tune of an ABC book
        is a song of its own
    to : target genre
    out_dir : report folder; an existing one is replaced only with ``force`` and only if it is a report
    model : what converts, as ``convert``'s ``model``: an arrangement assets folder, an arranger
        checkpoint or an edit model's checkpoint (default: the shipped arrangement assets, as ``convert``;
        with ``converted_dir``: none, so no cycle reconstruction and no S(A->B))
    edit : convert with the shipped edit model ``to_<to>`` instead, as ``convert --edit``
    classifier : checkpoint folder, ``False`` for none, ``None`` for the shipped one if installed
    converted_dir : read ``<stem>.<to>.mid`` from here instead of converting
    target_real : real songs of genre ``to`` (list or folder) for the musicality reference and the
        random-target baseline; at most ``max_files`` (default 100) are drawn
    seed : seeds conversion noise and every random draw (file samples, baseline songs)
    threshold : note probability threshold of a network (edit model, arranger; cycle reconstruction)
    max_files : evaluate a random sample of at most this many inputs
    progress : called with 1 after each input
    style_judge : style judge folder, ``False`` for none, ``None`` for the shipped one: the
        headline numbers and the style profile (the CNN classifier stays as a second opinion)
    cnn_among : restrict the CNN's verdicts to these genres (``to`` among them), renormalised: a
        pair such as ("jazz", "classical") stands for Brunner et al.'s binary classifier of that pair

    Returns
    -------
    dict : what report.json holds.

    Raises
    ------
    InputError : no usable inputs. ModelError : unusable model/classifier. OutputError : refused out_dir.
    """
    from ..models.device import resolve_device

    device = str(resolve_device(device, default="cpu"))  # a bad name fails here, not after the inputs
    out_dir = check_report_dir(out_dir, force)
    files = input_files(inputs, max_files, seed)
    reals = input_files(target_real, max_files or MAX_TARGET_FILES, seed) if target_real is not None else []
    conv, back = converters.load(to, model, converted_dir, device, edit)
    cnn = converters.cnn(classifier, to, conv, device, cnn_among)
    style = load_recorder(style_judge, to)
    cfg = conv.cfg if conv is not None else cnn.cfg if cnn is not None else RollConfig()
    arranges = converters.kind(conv) == converters.ARRANGEMENT
    found = _converted_index(Path(converted_dir), to) if converted_dir is not None else None

    real_rolls, real_mus, failed_target = [], [], []
    for piece in reals:
        try:
            real_song = read(piece.source)
            r = song_to_roll(real_song, cfg)
            if style is not None:
                style.add_real(real_song, on_grid(real_song, cfg))
            real_rolls.append(r)
            real_mus.append(musicality(r.onset, r.sustain, cfg, r.bar_starts))
        except Exception as exc:  # one bad reference file must not stop the report
            failed_target.append({"path": piece.source, "reason": one_line(exc)})

    rng = np.random.default_rng(seed)
    scores: list[SongScore] = []
    style_rows: list[dict] = []
    kept: list[dict] = []  # melody and harmony kept, for arranged outputs (issue 30's measures)
    failed: list[dict] = []
    first = None
    with atomic_dir(out_dir) as tmp, _interruptible(files, scores, failed) as todo:
        for piece in todo:
            try:
                song = read(piece.source)
                src = song_to_roll(song, cfg)
                if found is not None:
                    out_path = _match(found, piece, to, converted_dir)
                    out_song, shown = _read_output(out_path), str(out_path)
                else:
                    out_song, _ = conv.convert_song(song, seed=seed, threshold=threshold)
                    shown = _unique(tmp / "converted", piece.output_name(to))
                    write_midi(out_song, tmp / shown)
                out = song_to_roll(out_song, cfg)
                real = real_rolls[rng.integers(len(real_rolls))] if real_rolls else None
                scored = score_song(src, out, cfg=cfg, source=piece.source, output=shown, real=real,
                                    cnn=cnn, back=back, threshold=threshold)
                style_rows.append(style.add_song(song, out_song) if style is not None else None)
                kept.append(content(song, out_song) if arranges else None)
                scores.append(scored)
                first = first or (song, src, out_song, out)
            except Exception as exc:  # batches finish, then list failures
                failed.append({"path": piece.source, "reason": one_line(exc)})
            if progress:
                progress(1)
        if not scores:
            raise InputError(failed[0]["path"] if failed else None,
                             f"no input could be evaluated ({failed[0]['reason'] if failed else 'no inputs'})")
        report = _report(scores, real_mus, cnn, to, cfg, conv, back is not None)
        report["style_judge"] = style.summary(trained_against(conv)) if style is not None else None
        for rec, row, kept_row in zip(report["songs"], style_rows, kept):
            rec["style_p_target"] = row
            if kept_row is not None:
                rec["arrangement_content"] = kept_row
        report["arrangement_content"] = _kept_means(kept) if arranges else None
        report["settings"] = {"seed": seed, "threshold": threshold if converters.uses_threshold(conv) else None,
                              "max_files": max_files,
                              "converted_dir": None if converted_dir is None else str(converted_dir),
                              "window": cnn.window if cnn else getattr(conv, "window", None),
                              "grid": to_dict(cfg)}
        report["failed"], report["failed_target"] = failed, failed_target
        report["counts"].update(failed=len(failed), target_real=len(real_rolls))
        report["plots"] = _plots(tmp, scores, real_mus, cnn, first, cfg, to, report["style_judge"])
        report = _clean(report)
        from .writeup import markdown

        (tmp / REPORT_JSON).write_text(json.dumps(report, indent=1), encoding="utf-8")
        (tmp / REPORT_MD).write_text(markdown(report), encoding="utf-8")
    return report


@contextlib.contextmanager
def _interruptible(files: list, scores: list, failed: list):
    """Ctrl-C while songs are evaluated: say how many were done, and that nothing was written."""
    try:
        yield files
    except KeyboardInterrupt:
        raise Interrupted(len(scores) + len(failed), len(files), "songs",
                          "no report was written (it is written whole at the end); run it again") from None


# --------------------------------------------------------------------------- inputs and models
def input_files(inputs, max_files: int | None = None, seed: int = 0) -> list[Piece]:
    """The pieces of ``inputs`` (a list of files, or a folder searched recursively; each tune of an
    ABC book a piece), a seeded sample of ``max_files``."""
    if isinstance(inputs, (str, os.PathLike)) and not split_tune(inputs)[1]:
        path = Path(inputs)
        if not path.exists():
            raise InputError(path, "no such file or folder")
        files = find_pieces(path)
        if not files:
            raise InputError(path, "no MIDI or score files in this folder")
    else:
        items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
        files = [piece for item in items for piece in file_pieces(*split_tune(item))]
        if not files:
            raise InputError(None, "no input files given")
    if max_files is not None and max_files < 1:
        raise ValueError(f"max_files must be at least 1, got {max_files}")
    if max_files is not None and len(files) > max_files:
        pick = np.random.default_rng(seed).choice(len(files), max_files, replace=False)
        files = [files[i] for i in sorted(pick)]
    return files


def check_report_dir(out_dir: str | os.PathLike, force: bool) -> Path:
    """``out_dir`` as a Path; OutputError if it is a file, or a non-empty folder not replaceable."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(out, "is a file; a report needs a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise OutputError(out, "already exists (use --force to replace it)")
        if not (out / REPORT_JSON).is_file():
            raise OutputError(out, "is not a midistyle report folder; refusing to replace it")
    check_writable(out)  # the report is built beside it, at the end: refuse now, not after the work
    return out


def _converted_index(folder: Path, to: str) -> dict[str, list[Path]]:
    if not folder.is_dir():
        raise InputError(folder, "no such folder of converted files")
    suffix = f".{to}.mid"
    index: dict[str, list[Path]] = {}
    for p in sorted(folder.rglob(f"*{suffix}")):
        index.setdefault(p.name[:-len(suffix)], []).append(p)
    return index


def _match(index: dict[str, list[Path]], piece: Piece, to: str, folder) -> Path:
    """The converted file for ``piece``: ``<stem>.<to>.mid``, disambiguated by the parent folder's name."""
    found = index.get(piece.stem, [])
    if len(found) > 1:
        found = [p for p in found if p.parent.name == piece.path.parent.name] or found
    name = piece.output_name(to)
    if not found:
        raise InputError(piece.source, f"no converted file {name} under {folder}")
    if len(found) > 1:
        raise InputError(piece.source, f"{len(found)} files named {name} under {folder}; cannot tell which")
    return found[0]


def _read_output(path: str | os.PathLike):
    """A converted song; unlike :func:`read` it may hold no notes (a converter can drop them all)."""
    path = Path(path)
    if path.suffix.lower() not in MIDI_SUFFIXES:
        return read(path, require_pitched=False)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    return from_midi_bytes(data, source=str(path))


def read_pair(a_path: str | os.PathLike, b_path: str | os.PathLike, cfg: RollConfig | None = None):
    """``(song A, song B, grid)`` of a drawing of A beside B: B read as an output (it may hold no
    notes) when it exists; the grid ``cfg``, else the finest either's onsets need."""
    from ..representation.roll import fitting_grid

    song_a, song_b = read(a_path), _read_output(b_path) if Path(b_path).exists() else read(b_path)
    if cfg is None:
        cfg = RollConfig(steps_per_beat=max(fitting_grid(song_a), fitting_grid(song_b)))
    return song_a, song_b, cfg


def _unique(folder: Path, name: str) -> str:
    """``converted/<name>`` relative to the report, numbered when several inputs share a stem."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, _, rest = name.partition(".")
    candidate, n = name, 1
    while (folder / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}.{rest}"
    return f"{folder.name}/{candidate}"


# --------------------------------------------------------------------------- numbers
def _report(scores: list[SongScore], real_mus: list[dict], cnn: TargetClassifier | None, to: str, cfg: RollConfig,
            conv, has_cycle: bool) -> dict:
    mus = {"sources": mean_metrics([s.musicality_source for s in scores]),
           "outputs": mean_metrics([s.musicality_output for s in scores])}
    if real_mus:
        mus["target_real"] = mean_metrics(real_mus)
        toward = {k: direction(mus["sources"][k], mus["outputs"][k], mus["target_real"][k])
                  for k in MUSICALITY_KEYS if all(np.isfinite(m[k]) for m in mus.values())}
    else:
        toward = {}
    content = {g: mean_metrics([s.content[g] for s in scores if g in s.content]) for g in GROUPS
               if any(g in s.content for s in scores)}
    clf = None if cnn is None else {"path": cnn.path, "genres": list(cnn.genres), "source": list(cnn.source),
                                      "among": list(cnn.among) or None}
    windows = sum(len(s.probs.get("source", ())) for s in scores)
    return {"format": FORMAT, "version": VERSION, "to": to, "converter": converters.kind(conv),
            "model": converters.record(conv), "classifier": clf,
            "counts": {"songs": len(scores), "windows": windows,
                       "notes_in": sum(s.notes_in for s in scores), "notes_out": sum(s.notes_out for s in scores)},
            "strength": strength_table(scores, cnn, has_cycle) if cnn is not None and windows else None,
            "content": content, "musicality": mus, "toward_target": toward,
            "songs": [s.record(cnn) for s in scores]}


def _kept_means(rows: list[dict]) -> dict:
    """Means over songs of the arrangement content measures (None where no song has one)."""
    keys = ("melody_f1", "melody_kept", "chroma")
    vals = {k: [r[k] for r in rows if r and r.get(k) is not None and np.isfinite(r[k])] for k in keys}
    return {k: float(np.mean(v)) if v else None for k, v in vals.items()}


def _clean(obj):
    """JSON-ready copy: NaN/inf -> None, numpy scalars and tuples -> Python."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


# --------------------------------------------------------------------------- pictures
def _per_song(rows: list[dict], keys) -> dict:
    return {k: [r.get(k, np.nan) for r in rows] for k in keys}


def _plots(folder: Path, scores, real_mus, cnn, first, cfg: RollConfig, to: str, style: dict | None = None) -> dict:
    """Draw the report's PNGs into ``folder``; returns {name: file name} of those drawn."""
    from .plots import plot_compare, plot_metrics_bars, plot_style_profile, plot_target_hist

    drawn = {}
    if style and style.get("profile"):
        plot_style_profile(style["profile"]["groups"], folder / PLOT_FILES["style_profile"],
                           names=("sources", f"outputs (to {to})", style["reference"]), target=to,
                           title=f"Style profile: sources, outputs and {style['reference']}")
        drawn["style_profile"] = PLOT_FILES["style_profile"]
    groups = {"sources": _per_song([s.musicality_source for s in scores], MUSICALITY_KEYS),
              "outputs": _per_song([s.musicality_output for s in scores], MUSICALITY_KEYS)}
    if real_mus:
        groups[f"real {to}"] = _per_song(real_mus, MUSICALITY_KEYS)
    title = (f"Musicality: sources, outputs (to {to}) and real {to}" if real_mus else
             f"Musicality: sources and outputs (to {to}); no real {to} given (--target-data)")
    plot_metrics_bars(groups, folder / PLOT_FILES["musicality"], keys=MUSICALITY_KEYS, unit_keys=UNIT_KEYS,
                      title=title)
    drawn["musicality"] = PLOT_FILES["musicality"]
    names = {"model": "model", "identity": "identity", "random_target": f"random real {to}"}
    groups = {names[g]: _per_song([s.content[g] for s in scores if g in s.content], CONTENT_KEYS)
              for g in GROUPS if any(g in s.content for s in scores)}
    plot_metrics_bars(groups, folder / PLOT_FILES["content"], keys=CONTENT_KEYS, unit_keys=UNIT_KEYS,
                      title="Content kept from the source")
    drawn["content"] = PLOT_FILES["content"]
    ok = [s for s in scores if len(s.probs.get("source", ()))]
    if cnn is not None and ok:
        before = np.concatenate([cnn.p_target(s.probs["source"]) for s in ok])
        after = np.concatenate([cnn.p_target(s.probs["model"]) for s in ok])
        plot_target_hist(before, after, folder / PLOT_FILES["target_hist"], target_name=to,
                         names=("inputs", "outputs"))
        drawn["target_hist"] = PLOT_FILES["target_hist"]
    song, src, out_song, out = first
    on, sus = fit_steps(out.onset, src.n_steps), fit_steps(out.sustain, src.n_steps)
    plot_compare((src.onset, src.sustain), (on, sus), src.bar_starts, cfg, folder / PLOT_FILES["compare"],
                 names=(f"source: {Path(song.source).name}", f"converted to {to}"),
                 bars=(0, min(COMPARE_BARS, src.n_bars)),
                 track_names=(_track_names(song, src), _track_names(out_song, out)))
    drawn["compare"] = PLOT_FILES["compare"]
    return drawn


def _track_names(song, roll) -> list[str]:
    return [song.tracks[i].name or f"track {i}" for i in roll.track_index]


def compare(a_path: str | os.PathLike, b_path: str | os.PathLike, out_png: str | os.PathLike, *,
            bars: tuple[int | None, int | None] | None = None, cfg: RollConfig | None = None) -> dict:
    """Draw song A above song B, aligned bar by bar on A's bar grid, to ``out_png`` (atomically).

    B is cropped to A's length or padded with silence (a converted song shares A's bars).

    Parameters
    ----------
    a_path, b_path : MIDI or score files (B may hold no notes)
    bars : (first, end) bars of A to draw, 0-based, end exclusive, like Python slicing
    cfg : grid (None: the finest that either file's onsets need, see
        :func:`~midistyle.representation.roll.fitting_grid`)

    Returns
    -------
    dict : ``bars`` (A's bar count), ``drawn`` (first, end) bars drawn, ``steps_per_beat`` (the
    grid drawn), ``steps_a``, ``steps_b`` (B's length before fitting).

    Raises
    ------
    InputError : unreadable input, or ``bars`` selecting none of A's bars.
    """
    from .plots import plot_compare, select_bars

    song_a, song_b, cfg = read_pair(a_path, b_path, cfg)
    a, b = song_to_roll(song_a, cfg), song_to_roll(song_b, cfg)
    chosen = select_bars(bars, a.n_bars, a_path)
    plot_compare((a.onset, a.sustain), (fit_steps(b.onset, a.n_steps), fit_steps(b.sustain, a.n_steps)),
                 a.bar_starts, cfg, out_png, names=(Path(a_path).name, Path(b_path).name), bars=bars,
                 track_names=(_track_names(song_a, a), _track_names(song_b, b)))
    return {"bars": a.n_bars, "drawn": (chosen.start, chosen.stop), "steps_per_beat": cfg.steps_per_beat,
            "steps_a": a.n_steps, "steps_b": b.n_steps}
