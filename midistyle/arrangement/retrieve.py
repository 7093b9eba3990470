"""Retrieval arranger: a genre's own bars, picked to fit the song's chords and transposed to them.

A :class:`Bank` holds real bars of one genre's songs: each bar's chord chroma per beat, its bass
and comping rolls and its drum lanes. To arrange a song, each of its bars takes the bank bar whose
chords, transposed by ``k`` semitones (-5..6), best match the song's chords beat by beat; the
bar's bass and comping are transposed by the same ``k`` and its drums are copied. Chords are
matched on their core (:func:`chord_core`: root, third and fifth), so a bank bar's own colour
(its 7ths, 6ths) costs it nothing against a triad of the same root: the genre's bars keep the
colour they were played with, as often as its songs play it, and the song keeps its roots. The bars
are chosen together, not one by one: continuing the previous pick's source bar scores a bonus, so
phrases of the real songs are kept together, and among bars that fit the chords about equally the
bass line takes the steps across bar lines the bank's own songs take
(:mod:`~midistyle.arrangement.voicelead`), so it does not leap where they seldom do. And since the
bars that fit a plain chart best are a genre's least distinctive ones, each bar's typicality of its
genre (:mod:`~midistyle.arrangement.typical`, fitted when the bank is written) adds to its score.
Nothing in here knows a genre: a bank is whatever its folder's songs play. Numpy only.

A bank is stored as data: ``bank.safetensors`` (bit-packed arrays) + ``bank.json``.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..analysis.chords import QUALITIES
from ..atomic import write_bytes, write_text
from ..config import RollConfig, from_dict, to_dict
from ..errors import InputError
from ..representation.drums import LANES
from .encode import Arrangement
from .planes import pack, unpack
from .voicelead import VOICE_WEIGHT, BassMotion, beam_path

FORMAT, VERSION = "midistyle-arrangement-bank", 1
SHIFTS = np.arange(-5, 7)
"""Transpositions tried, in semitones: every pitch class once, the smaller moves first."""
CONTINUITY_BONUS = 0.15
"""Score added for the bar that follows the previous pick in its own song, at the same shift."""
TYPICAL_WEIGHT = 0.5
"""Chord-score points a bar gains per standard deviation of typicality (chosen on other validation draws: docs)."""
CORE_WEIGHTS = (2.0, 1.0, 1.0)
"""Weights of a chord's root, third and fifth in its core: a wrong root costs more than a wrong third."""


@dataclasses.dataclass
class Bank:
    """Real bars of one genre on one grid.

    ``chroma``: float32 ``[N, B, 12]`` chord chroma per beat (B = beats of the longest bar, unit
    norm per bar); ``length``: int32 ``[N]`` steps per bar; ``bass``/``comp``: bool
    ``[N, 2, S, P]`` (onset, sustain); ``drums``: bool ``[N, S, L]``; ``song``/``bar``: int32
    ``[N]``, which song of the bank and which of its bars (for continuity); ``typical``: float32
    ``[N]``, how typical of its genre each bar is (:mod:`~midistyle.arrangement.typical`; None: not
    fitted, every bar alike).
    """

    genre: str
    cfg: RollConfig
    chroma: np.ndarray
    length: np.ndarray
    bass: np.ndarray
    comp: np.ndarray
    drums: np.ndarray
    song: np.ndarray
    bar: np.ndarray
    typical: np.ndarray | None = None

    @property
    def n_bars(self) -> int:
        return int(self.length.shape[0])

    @functools.cached_property
    def motion(self) -> BassMotion:
        """How this bank's bass moves across bar lines (learned from its arrays on first use)."""
        return BassMotion.learn(self.bass[:, 0], self.song, self.bar)

    @functools.cached_property
    def cores(self) -> np.ndarray:
        """The bars' chord cores at every shift (:func:`shifted_cores`), read once per bank, not per song."""
        return shifted_cores(self)


def beat_chroma(chroma: np.ndarray, steps_per_beat: int, n_beats: int) -> np.ndarray:
    """Per-step chroma ``[S, 12]`` -> mean per beat ``[n_beats, 12]`` (zero-padded)."""
    out = np.zeros((n_beats, 12), np.float32)
    for b in range(min(n_beats, -(-chroma.shape[0] // steps_per_beat))):
        out[b] = chroma[b * steps_per_beat:(b + 1) * steps_per_beat].mean(axis=0)
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.sqrt((x ** 2).reshape(x.shape[0], -1).sum(axis=1)) if x.size else np.zeros(x.shape[0])
    return x / np.maximum(norm, 1e-6).reshape(-1, *([1] * (x.ndim - 1)))


@dataclasses.dataclass(frozen=True)
class BarRecord:
    """One real bar for a bank: its song and index there, chord chroma ``[S, 12]``, bass and
    comping ``[2, S, P]``, drum lanes ``[S, L]``."""

    song: int
    bar: int
    chroma: np.ndarray
    bass: np.ndarray
    comp: np.ndarray
    drums: np.ndarray

    @property
    def length(self) -> int:
        return int(self.chroma.shape[0])


def bars_of(arr: Arrangement):
    """``(start, length)`` of each bar of an arrangement."""
    starts = np.asarray(arr.bar_starts)
    return list(zip(starts[:-1].tolist(), np.diff(starts).tolist()))


def arrangement_bars(arr: Arrangement, song_id: int = 0) -> Iterator[BarRecord]:
    """An arrangement's bars as bank records (every bar, silent ones too)."""
    for i, (a, n) in enumerate(bars_of(arr)):
        yield BarRecord(song_id, i, arr.chroma[a:a + n], arr.bass[:, a:a + n], arr.comp[:, a:a + n],
                        arr.drums[a:a + n])


def build_bank(bars: Iterable[BarRecord], genre: str, cfg: RollConfig = RollConfig(), *,
               max_bars: int | None = None, seed: int = 0) -> Bank:
    """A bank from bar records (:func:`arrangement_bars`, or a prepared corpus': see
    :func:`midistyle.data.banks.corpus_bank`): every bar that plays bass, comping or drums.

    ``max_bars``: keep a seeded random draw of at most this many bars (in their order).
    """
    rows = [r for r in bars if r.bass[0].any() or r.comp[0].any() or r.drums.any()]
    if max_bars is not None and len(rows) > max_bars:
        keep = np.sort(np.random.default_rng(seed).choice(len(rows), max_bars, replace=False))
        rows = [rows[i] for i in keep]
    width = max((r.length for r in rows), default=cfg.steps_per_beat * 4)
    n_beats = -(-width // cfg.steps_per_beat)
    n, p, lanes = len(rows), cfg.n_pitches, len(LANES)
    bank = Bank(genre, cfg, np.zeros((n, n_beats, 12), np.float32), np.zeros(n, np.int32),
                np.zeros((n, 2, width, p), bool), np.zeros((n, 2, width, p), bool),
                np.zeros((n, width, lanes), bool), np.zeros(n, np.int32), np.zeros(n, np.int32))
    for j, r in enumerate(rows):
        bank.chroma[j] = beat_chroma(r.chroma, cfg.steps_per_beat, n_beats)
        bank.length[j], bank.song[j], bank.bar[j] = r.length, r.song, r.bar
        bank.bass[j, :, :r.length], bank.comp[j, :, :r.length], bank.drums[j, :r.length] = r.bass, r.comp, r.drums
    bank.chroma[:] = _unit(bank.chroma)
    return bank


def shift_roll(roll: np.ndarray, k: int) -> np.ndarray:
    """Move a ``[..., P]`` roll ``k`` pitches up (down when negative); notes pushed off the edge drop."""
    out = np.zeros_like(roll)
    if k >= 0:
        out[..., k:] = roll[..., :roll.shape[-1] - k]
    else:
        out[..., :k] = roll[..., -k:]
    return out


@functools.lru_cache(maxsize=1)
def _chord_templates() -> tuple[np.ndarray, np.ndarray]:
    """Every root x quality (:data:`~midistyle.analysis.chords.QUALITIES`, then a bare fifth and a
    single note) as ``(tones [K, 12] 0/1, core [K, 12])``: its pitch classes, and its root, third
    and fifth weighted by :data:`CORE_WEIGHTS` (a 7th or 6th is not part of the core)."""
    shapes = [*QUALITIES.values(), (0, 7), (0,)]
    tones = np.zeros((len(shapes) * 12, 12), np.float32)
    core = np.zeros_like(tones)
    for q, intervals in enumerate(shapes):
        for root in range(12):
            row = q * 12 + root
            tones[row, [(root + i) % 12 for i in intervals]] = 1.0
            for i, w in zip(intervals[:3], CORE_WEIGHTS if len(intervals) > 2 else CORE_WEIGHTS[::2]):
                core[row, (root + i) % 12] = w
    return tones, core


def chord_core(chroma: np.ndarray) -> np.ndarray:
    """Chord chroma ``[..., 12]`` (per beat) -> the core of the chord it spells, ``[..., 12]``.

    The classes at half the beat's loudest or more are the chord; it is read as the root x quality
    whose tones differ from it in fewest classes (a 7th before a 6th chord of the same classes:
    A C E G is Am7, not C6), and given as its root, third and fifth (:data:`CORE_WEIGHTS`). A
    silent beat has a zero core.
    """
    tones, core = _chord_templates()
    x = np.asarray(chroma, np.float32).reshape(-1, 12)
    top = x.max(axis=1, initial=0.0)
    sets = (x >= 0.5 * top[:, None]) & (top[:, None] > 0)
    diff = sets.sum(axis=1)[:, None] + tones.sum(axis=1)[None] - 2 * (sets.astype(np.float32) @ tones.T)
    out = core[np.argmin(diff, axis=1)] * (top > 0)[:, None]
    return out.reshape(np.shape(chroma))


def shifted_cores(bank: Bank) -> np.ndarray:
    """The bank bars' chord cores (:func:`chord_core`, unit norm per bar) at every shift,
    ``[len(SHIFTS), N, B, 12]``."""
    # a core rolled by k pitch classes == the bar's chord transposed k semitones up
    cores = _unit(chord_core(bank.chroma))
    return np.stack([np.roll(cores, k, axis=2) for k in SHIFTS])


def _scores(shifted: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine of the query's chord cores (its chroma ``[B, 12]`` read by :func:`chord_core`) with
    every bank bar's at every shift (``shifted``, see :func:`shifted_cores`): ``[N, len(SHIFTS)]``."""
    q = chord_core(query)
    q = q / max(float(np.sqrt((q ** 2).sum())), 1e-6)
    return np.einsum("knbc,bc->nk", shifted, q)


def plays(bank: Bank, roles: Iterable[str]) -> np.ndarray:
    """Bool ``[N]``: bank bars in which every role of ``roles`` (bass, comp, drums) plays."""
    ok = np.ones(bank.n_bars, bool)
    for role in roles:
        x = bank.drums if role == "drums" else getattr(bank, role)[:, 0]
        ok &= x.reshape(bank.n_bars, -1).any(axis=1)
    return ok


def retrieve(arr: Arrangement, bank: Bank, *, require: Iterable[str] = (), seed: int = 0,
             voice_weight: float = VOICE_WEIGHT, typical_weight: float = TYPICAL_WEIGHT) -> dict[str, np.ndarray]:
    """Bass, comping and drums for ``arr``'s bars from ``bank``: role -> tensor over the song's grid.

    Each bar takes a bank bar of the same length (any length when none matches: the bank bar is
    cut or its pattern repeated to fit), transposed by a shift of :data:`SHIFTS`. The bars are chosen together
    (:func:`~midistyle.arrangement.voicelead.beam_path`) to maximise, over the song, each bar's
    chord score (:func:`_scores`, the cosine of the two bars' chord cores beat by beat), plus
    :data:`CONTINUITY_BONUS` for each bar that continues the previous one's song at the same
    shift, plus ``voice_weight`` times the bass line's log-likelihood under the bank's own motion
    across bar lines (:class:`~midistyle.arrangement.voicelead.BassMotion`), plus
    ``typical_weight`` times each bar's typicality of its genre (``bank.typical``); only bars within
    :data:`~midistyle.arrangement.voicelead.CHORD_SLACK` of a bar's best chord score compete.
    A bar with no chord chroma (silence in the chart) matches on rhythm alone. ``require``: roles
    a bank bar must play to be taken (the roles its genre plays), when any bar plays them all.
    ``seed`` breaks ties between equal scores.
    """
    if bank.n_bars == 0:
        raise InputError(bank.genre, "the arrangement bank holds no bars")
    if bank.cfg != arr.cfg:
        raise ValueError(f"bank grid {bank.cfg} differs from the song's {arr.cfg}")
    # a state is a bank bar at a shift: state id = bar * len(SHIFTS) + shift index
    motion = bank.motion
    n_k = len(SHIFTS)

    def moved(pitch: np.ndarray) -> np.ndarray:  # [N] -> [N * K], -1 stays -1
        return np.where(pitch[:, None] >= 0, pitch[:, None] + SHIFTS, -1).reshape(-1)

    first, last = moved(motion.first), moved(motion.last)
    rng = np.random.default_rng(seed)
    jitter = rng.random((bank.n_bars, n_k)) * 1e-4
    if bank.typical is not None:
        jitter += typical_weight * bank.typical[:, None]
    full = plays(bank, require)
    if full.any():
        jitter[~full] = -np.inf
    n_beats = bank.chroma.shape[1]
    shifted = bank.cores
    bars = bars_of(arr)

    def local_of(t: int) -> np.ndarray:
        a, n = bars[t]
        scores = _scores(shifted, beat_chroma(arr.chroma[a:a + n], arr.cfg.steps_per_beat, n_beats))
        same = bank.length == n
        if (same & full).any() or not full.any():
            scores[~same] = -np.inf
        return (scores + jitter).reshape(-1)

    def transition(prev: np.ndarray, cur: np.ndarray) -> np.ndarray:  # cur is sorted
        out = voice_weight * motion.step_score(last[prev][:, None], first[cur][None, :])
        nxt = successors(prev)
        at = np.minimum(np.searchsorted(cur, nxt), cur.size - 1)
        hit = np.flatnonzero(cur[at] == nxt)
        out[hit, at[hit]] += CONTINUITY_BONUS
        return out

    def successors(states: np.ndarray) -> np.ndarray:  # the next bar of the same song, same shift
        j, k = np.divmod(states, n_k)
        return np.where(motion.next[j] >= 0, motion.next[j] * n_k + k, -1)

    path = beam_path(len(bars), local_of, lambda s: voice_weight * motion.register_score(first[s]), transition, successors)
    t = arr.n_steps
    out = {"bass": np.zeros((2, t, arr.cfg.n_pitches), bool), "comp": np.zeros((2, t, arr.cfg.n_pitches), bool),
           "drums": np.zeros((t, len(LANES)), bool)}
    for (a, n), state in zip(bars, path):
        j, k = divmod(state, n_k)
        length = int(bank.length[j])
        reps = np.arange(n) % length  # repeat a shorter bar's pattern, cut a longer one
        out["bass"][:, a:a + n] = shift_roll(bank.bass[j][:, reps], int(SHIFTS[k]))
        out["comp"][:, a:a + n] = shift_roll(bank.comp[j][:, reps], int(SHIFTS[k]))
        out["drums"][a:a + n] = bank.drums[j][reps]
    return out


def save_bank(bank: Bank, directory: str | os.PathLike) -> Path:
    """Write ``bank.safetensors`` and ``bank.json`` into ``directory`` (atomically, each)."""
    from safetensors.numpy import save

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {"chroma": bank.chroma, "length": bank.length, "song": bank.song, "bar": bank.bar,
               "bass": pack(bank.bass), "comp": pack(bank.comp), "drums": pack(bank.drums)}
    if bank.typical is not None:
        tensors["typical"] = np.asarray(bank.typical, np.float32)
    write_bytes(directory / "bank.safetensors", save(tensors))
    meta = {"format": FORMAT, "version": VERSION, "genre": bank.genre, "roll": to_dict(bank.cfg),
            "bars": bank.n_bars, "width": int(bank.bass.shape[2])}
    write_text(directory / "bank.json", json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return directory


def load_bank(directory: str | os.PathLike) -> Bank:
    """Read a bank written by :func:`save_bank` (InputError when it is not one)."""
    from safetensors.numpy import load_file

    directory = Path(directory)
    try:
        meta = json.loads((directory / "bank.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("version", 0) > VERSION:
            raise ValueError(f"format {meta.get('format')!r} version {meta.get('version')!r}")
        raw = load_file(str(directory / "bank.safetensors"))
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(directory, f"not a readable arrangement bank: {exc}") from None
    cfg = from_dict(RollConfig, meta["roll"])
    bits = lambda x, n: unpack(x, n).astype(bool)  # noqa: E731
    return Bank(meta["genre"], cfg, raw["chroma"], raw["length"], bits(raw["bass"], cfg.n_pitches),
                bits(raw["comp"], cfg.n_pitches), bits(raw["drums"], len(LANES)), raw["song"], raw["bar"],
                raw.get("typical"))
