"""Whole-song genre transfer: ``convert(song, to="jazz")`` and batch conversion of folders.

The song is rolled onto the model's grid, run through the generator in overlapping windows that
are cross-faded (no seams at window edges), thresholded, and written back into the source's
context: tempo map, meters, keys, programs, names and drum tracks are kept; each output note goes
to the source instrument it best continues and takes its velocity from the source nearby.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from .config import RollConfig
from .errors import ConfigError, ModelError
from .genre_classifier import PRETRAINED, GenreClassifier, shipped_classifier
from .kinds import registry as kinds
from .representation import Song, read, roll_to_notes, song_to_roll
from .representation.song import GENRES
from .representation.beats import aligned_song
from .representation.windows import overlap_add, windows


def shipped_model(genre: str) -> Path:
    """Folder of the shipped model that converts any genre into ``genre``."""
    if genre not in GENRES:
        raise ModelError(None, f"no shipped model for genre {genre!r}; shipped: {', '.join(GENRES)}")
    path = PRETRAINED / f"to_{genre}"
    if not (path / "config.json").exists():
        raise ModelError(path, f"the shipped model for {genre!r} is missing from this installation")
    return path


def shipped_grids() -> dict[str, int]:
    """Steps per quarter of each shipped model (genre -> grid), from its config.json (no torch)."""
    import json

    grids = {}
    for genre in GENRES:
        try:
            roll = json.loads((PRETRAINED / f"to_{genre}" / "config.json").read_text(encoding="utf-8"))["roll"]
            grids[genre] = int(roll["steps_per_beat"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return grids


@dataclasses.dataclass
class Converter:
    """A loaded generator (and optionally the genre classifier) ready to convert many songs.

    ``meta`` is the generator's :class:`~midistyle.models.checkpoint.CheckpointMeta`;
    ``classifier`` detects source genres, on this generator's grid (None without one, or when it
    cannot read that grid).
    """

    generator: Any
    meta: Any
    cfg: RollConfig
    window: int
    classifier: GenreClassifier | None = None
    device: str = "cpu"
    direction: str = "a2b"  # which network of the checkpoint: "a2b" (G) or, for a CycleGAN, "b2a" (F)
    uses_torch = True  # (class attribute) a batch worker sets torch's threads for it
    arranges = False  # (class attribute) an edit model: the arrangement judge is not asked (see rearrange)

    @classmethod
    def load(cls, to: str | None = None, model: str | os.PathLike | None = None, *,
             classifier: str | os.PathLike | None | bool = True, device: str | None = None) -> "Converter":
        """Load the shipped model for ``to`` (or the checkpoint folder ``model``)."""
        from .models.checkpoint import load_generator, read_meta
        from .models.device import resolve_device

        device = str(resolve_device(device, default="cpu"))
        path = Path(model) if model is not None else shipped_model(to)
        meta = read_meta(path)
        kind = kinds.get(meta.kind)
        if not kind.converts:
            raise ModelError(path, f"a {meta.kind} checkpoint holds no generator")
        # the kind's hook: which of its generators converts into ``to``, and the meta it converts with
        direction, view = kind.select(kind, meta, to, path)
        gen, _ = load_generator(path, direction=direction, device=device)
        view = dataclasses.replace(view, path=meta.path)
        return cls(gen, view, view.roll, view.window, cls._classifier(classifier, view.roll, device), device, direction)

    @staticmethod
    def _classifier(classifier, cfg: RollConfig, device: str) -> GenreClassifier | None:
        """The classifier asked for (True = the shipped one if installed) on the grid ``cfg``."""
        if classifier is True:
            try:
                return GenreClassifier.load(shipped_classifier(), device=device).on_grid(cfg)
            except ModelError:
                return None
        if classifier:
            return GenreClassifier.load(classifier, device=device).on_grid(cfg)
        return None

    @property
    def kind(self):
        """The model kind of the loaded checkpoint (:class:`midistyle.kinds.Kind`)."""
        return kinds.get(self.meta.kind)

    def code(self, n: int, from_genre: str | None = None):
        """The generator's code for ``n`` windows into this converter's target, from its kind's hook
        (a StarGAN: one-hot target, one-hot ``from_genre`` or uniform); None for unconditioned generators."""
        hook = self.kind.condition
        return None if hook is None else hook(self.meta, n, from_genre, self.device)

    @property
    def target(self) -> str:
        return self.meta.target_name

    def detect(self, x: np.ndarray) -> tuple[str, float] | None:
        """Most likely genre of a merged roll [2, T, P] and its probability by the classifier (None
        without one)."""
        return None if self.classifier is None else self.classifier.detect(x)

    def transform(self, x: np.ndarray, *, seed: int = 0, from_genre: str | None = None) -> np.ndarray:
        """Generator output for a merged roll [2, T, P], windows cross-faded: float32 [2, T, P].
        ``from_genre`` sets a StarGAN's source code (others ignore it)."""
        import torch

        cut, starts = windows(x, self.window)
        torch.manual_seed(seed)
        out = np.empty_like(cut)
        with torch.inference_mode():
            for a in range(0, len(cut), 64):
                batch = torch.from_numpy(cut[a:a + 64]).to(self.device)
                z = self.generator.sample_z(batch.shape[0], device=self.device) \
                    if getattr(self.generator, "config", None) is not None and self.generator.config.z_dim else None
                code = self.code(batch.shape[0], from_genre)
                out[a:a + 64] = (self.generator(batch, z) if code is None else
                                 self.generator(batch, code=code)).float().cpu().numpy()
        return overlap_add(out, starts, x.shape[1])

    def convert_song(self, song: Song, *, seed: int = 0, threshold: float = 0.5,
                     from_genre: str | None = None, align_beats: str = "auto") -> tuple[Song, dict]:
        """Convert a whole song. Returns the new song and an info dict (source genre, note counts;
        ``aligned``: what the beat alignment found, when it re-timed the song).

        ``align_beats``: ``"auto"`` first re-times a song whose onsets miss the grid of its own
        tempo map to beats estimated from its notes (the output keeps that tempo map), ``"on"``
        every song, ``"off"`` none (see :func:`midistyle.representation.beats.align_beats`).
        """
        if not 0 < threshold < 1:
            raise ConfigError(f"threshold must lie between 0 and 1 (a note probability), got {threshold!r}")
        song, aligned = aligned_song(song, align_beats, self.cfg.steps_per_beat)
        roll = song_to_roll(song, self.cfg)
        x = roll.merged()
        info: dict[str, Any] = {"source": song.source, "to": self.target, "bars": roll.n_bars,
                                "notes_in": int(roll.onset.sum())}
        if aligned:
            info["aligned"] = aligned
        if from_genre is None:
            found = self.detect(x)
            if found:
                info["detected"], info["detected_p"] = found
        else:
            info["from"] = from_genre
        y = self.transform(x, seed=seed, from_genre=from_genre)
        on, sus = y[0] > threshold, y[1] > threshold
        s, e, p, _ = roll_to_notes(on, sus)
        tracks = assign_notes(roll, song, s, e, p)
        info["notes_out"] = int(s.size)
        return song.with_tracks(tracks), info


def assign_notes(roll, song: Song, start, end, pitch_col) -> list:
    """Give each output note (in steps / pitch columns) to a source pitched track.

    The track holding the same pitch at the note's onset wins; else the track sounding nearest in
    pitch at that moment; else the track whose recent notes lie nearest. Velocity: the source's
    onset velocity at that cell, else the chosen track's latest onset velocity.
    """
    cfg = roll.cfg
    tracks = list(song.tracks)
    n_tracks = len(roll.track_index)
    if n_tracks == 0 or start.size == 0:
        for i in roll.track_index:
            tracks[i] = tracks[i].replace_notes([], [], [], [])
        return tracks
    sus = roll.sustain  # [K, T, P]
    cols = np.arange(cfg.n_pitches)
    # Per track and step: nearest sounding pitch distance to each note (inf where silent).
    at = sus[:, start, :]  # [K, N, P]
    dist = np.where(at, np.abs(cols[None, None, :] - pitch_col[None, :, None]), np.inf).min(axis=2)
    same = at[:, np.arange(start.size), pitch_col]  # [K, N]
    centre = _centre_pitch(sus)  # [K, T] filled over silences
    fallback = np.abs(centre[:, start] - pitch_col[None, :]) + 1000.0
    score = np.where(same, -1.0, np.where(np.isfinite(dist), dist, fallback))
    choice = score.argmin(axis=0)
    vel_at = roll.velocity[:, start, pitch_col]  # [K, N]
    latest = _latest_velocity(roll.velocity)  # [K, T]
    cell = vel_at.max(axis=0)
    vel = np.where(cell > 0, cell, latest[choice, start])
    vel = np.where(vel > 0, vel, 80)
    spb = cfg.steps_per_beat
    for k, i in enumerate(roll.track_index):
        m = choice == k
        tracks[i] = tracks[i].replace_notes(start[m] / spb, end[m] / spb, pitch_col[m] + cfg.low_pitch, vel[m])
    return tracks


def _ffill(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Forward-fill ``values`` [K, T] along time where ``valid``; backward-fill the leading gap."""
    n = values.shape[1]
    idx = np.where(valid, np.arange(n)[None, :], -1)
    np.maximum.accumulate(idx, axis=1, out=idx)
    first = np.where(valid.any(axis=1), valid.argmax(axis=1), 0)
    idx = np.where(idx < 0, first[:, None], idx)
    return np.take_along_axis(values, idx, axis=1)


def _centre_pitch(sus: np.ndarray) -> np.ndarray:
    count = sus.sum(axis=2)
    mean = (sus * np.arange(sus.shape[2])[None, None, :]).sum(axis=2) / np.maximum(count, 1)
    filled = _ffill(mean, count > 0)
    return np.where((count > 0).any(axis=1)[:, None], filled, sus.shape[2] / 2)


def _latest_velocity(velocity: np.ndarray) -> np.ndarray:
    v = velocity.max(axis=2).astype(np.float64)
    return _ffill(v, v > 0)


# --- convenience API mirroring the CLI -------------------------------------------------------

def by_arrangement(to: str, model: str | os.PathLike | None = None, *, edit: bool = False) -> bool:
    """Whether ``convert`` arranges (:class:`midistyle.rearrange.ArrangementConverter`) rather than
    edits (:class:`Converter`): with ``model``, by what it is (an assets folder or an arranger
    checkpoint arranges; a GAN, CycleGAN or StarGAN edits); without, the shipped arrangement
    assets when they hold ``to``, unless ``edit`` asks for the shipped edit model ``to_<to>``.
    ``edit`` with an arrangement ``model`` is a :class:`~midistyle.errors.ModelError`."""
    from .arrangement.assets import assets_genres, is_assets

    if model is None:
        from .rearrange import SHIPPED_ASSETS

        return not edit and is_assets(SHIPPED_ASSETS) and to in assets_genres(SHIPPED_ASSETS)
    if is_assets(model):
        arranges = True
    else:
        from .models.checkpoint import read_meta

        arranges = read_meta(model).kind == "arranger"
    if arranges and edit:
        raise ModelError(model, "is an arrangement model, not an edit model (a GAN, CycleGAN or StarGAN run)")
    return arranges


def load_converter(to: str, model: str | os.PathLike | None = None, *, edit: bool = False,
                   keep: tuple[str, ...] = (), device: str | None = None, from_genre: str | None = None):
    """The converter ``convert`` uses (see :func:`by_arrangement`): the arrangement transfer by
    default; the edit models with ``edit=True`` or an edit checkpoint as ``model``. ``keep``
    (parts kept as the source had them) needs the arrangement transfer; an edit converter loads
    the source-genre classifier only when ``from_genre`` is not given."""
    if by_arrangement(to, model, edit=edit):
        from .rearrange import ArrangementConverter

        return ArrangementConverter.load(to, model, keep=keep, device=device)
    if keep:
        raise ModelError(model, "keeping parts (--keep) needs the arrangement transfer, not an edit model")
    return Converter.load(to, model, classifier=from_genre is None, device=device)


def convert(source, to: str = "jazz", *, model=None, edit: bool = False, keep: tuple[str, ...] = (),
            from_genre: str | None = None, seed: int = 0, threshold: float = 0.5, device: str | None = None,
            tune: int | None = None, align_beats: str = "auto"):
    """Convert a whole song to genre ``to``, as ``midistyle convert`` does.

    Parameters
    ----------
    source : path or pretty_midi.PrettyMIDI
    to : target genre, one of ``midistyle.GENRES`` for the shipped assets and models.
    model : an arrangement assets folder (``midistyle train bank``), an arranger checkpoint, or an
        edit model's checkpoint folder (GAN, CycleGAN, StarGAN); default the shipped arrangement assets.
    edit : use the shipped edit model ``to_<to>`` (a merged-roll GAN/StarGAN) instead of the arrangement.
    keep : parts the arrangement keeps as the source had them (``midistyle.arrangement.arrange.KEEPABLE``).
    align_beats : ``"auto"``, ``"on"`` or ``"off"``: see :meth:`Converter.convert_song`.

    Returns
    -------
    pretty_midi.PrettyMIDI: the arrangement keeps the source's melody, chords, tempo map and meters
    and plays new drums, bass and comping in the genre's instruments; an edit model keeps the
    source's tempo map, meters, keys, instruments and drums and changes its pitched notes.
    """
    from .representation import to_pretty_midi

    conv = load_converter(to, model, edit=edit, keep=tuple(keep), device=device, from_genre=from_genre)
    song, _ = conv.convert_song(read(source, tune=tune), seed=seed, threshold=threshold, from_genre=from_genre,
                                align_beats=align_beats)
    return to_pretty_midi(song)
