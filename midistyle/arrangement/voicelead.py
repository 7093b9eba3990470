"""How a genre's bass moves across bar lines, learned from its bank, and the best path of bars under it.

The retrieval arranger (:mod:`~midistyle.arrangement.retrieve`) picks one bank bar per song bar.
Scoring each bar alone joins bars whose bass lines were never meant to meet: a real bass line
rarely leaps an octave at a bar line, and a line stitched from independent picks does so often.
:class:`BassMotion` reads from the bank itself, between consecutive bars of the same real song,
the distribution of the step from a bar's last bass note to the next bar's first (and of the
register a bar's first note sits in); :func:`beam_path` then picks the whole sequence of bars at
once (Viterbi over each bar's candidates) so that the steps are the genre's own. Numpy only.

A bank bar's bass moves with its bar's shift only. Also moving it an octave up or down (within the
bank's bass range) was measured with benchmarks/bass_leaps.py and the bar benchmark (2026-12-07)
and dropped: the leaps fell no further (pop 0.5% vs 0.1%, jazz 6.1% vs 5.0% of steps over an
octave) at three times the states, and the style judge took jazz outputs for jazz less often (58%
vs 74%).
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

VOICE_WEIGHT = 0.1
"""Weight, in chord-score units per nat, of the bass's log-likelihood under :class:`BassMotion`
(each step across a bar line, and the first bar's register) against the chord score (a cosine,
1 for the same chord). Measured with benchmarks/bass_leaps.py on the bar benchmark's sources
(arr3 banks, 2026-12-07): steps over an octave across bar lines fall from 9-23% of them (bars
picked alone) to 0-5% at any weight from 0.03 to 0.3 (real songs: 1-6%); the weight hardly
matters there because only rare steps cost anything (:data:`FREE_MASS`) and the chords gate the
candidates (:data:`CHORD_SLACK`). 0.1 makes a never-seen step cost more than the continuity
bonus, so a leap is taken only where no candidate avoids it."""
CHORD_SLACK = 0.1
"""Only bank bars whose chord score is within this of the bar's best are candidates: smoothness
chooses among bars that fit the chords about equally (the same core, a colour or a passing beat
apart), never a wrong root (a whole bar of it scores 0.5 or less against 0.8 or more)."""
BEAM = 256
"""At most this many candidates per bar (the best chord scores; continuations of the previous
bar's candidates are always kept)."""
FREE_MASS = 0.9
"""Steps (and registers) as likely as those that make up the commonest 90% of the bank's cost
nothing: the score keeps the line off the moves its genre seldom makes without pulling every step
to the likeliest one (a most-likely path repeats the same note at every bar line, smoother than
any real bass)."""
SMOOTHING = 0.1
"""Added to every count before the distributions are normalised (an unseen step is rare, not impossible)."""


def bass_ends(onsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Onset rolls ``[N, S, P]`` (one per bar) -> ``(first, last)`` int ``[N]``: the pitch index of
    the lowest note struck at the bar's first bass onset and at its last; -1 for a bar with none."""
    on = np.asarray(onsets, bool)
    n, s = on.shape[:2]
    steps = on.any(axis=2)
    has = steps.any(axis=1)
    first_step = np.argmax(steps, axis=1)
    last_step = s - 1 - np.argmax(steps[:, ::-1], axis=1)
    rows = np.arange(n)
    first = np.where(has, np.argmax(on[rows, first_step], axis=1), -1)
    last = np.where(has, np.argmax(on[rows, last_step], axis=1), -1)
    return first, last


def _log_dist(values: np.ndarray, size: int) -> np.ndarray:
    """Smoothed log-distribution over ``0..size-1`` of ``values``, 0 for the values that make up
    the commonest :data:`FREE_MASS` of them and negative (log-likelihood less that level's) below."""
    counts = np.bincount(values, minlength=size)[:size].astype(np.float64)
    if not counts.any():
        return np.zeros(size, np.float32)
    order = np.argsort(-counts, kind="stable")
    common = order[:int(np.searchsorted(np.cumsum(counts[order]) / counts.sum(), FREE_MASS - 1e-9)) + 1]
    prob = (counts + SMOOTHING) / (counts.sum() + SMOOTHING * size)
    level = prob[common].min()
    return np.minimum(np.log(prob) - np.log(level), 0.0).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class BassMotion:
    """A bank's bass ends and motion.

    ``first``/``last``: int ``[N]`` per bank bar, its first and last note (:func:`bass_ends`, -1
    without bass); ``next``: int ``[N]``, the bank bar that follows it in its song (-1 when none is
    in the bank); ``step``: float ``[2P - 1]``, log-likelihood of a step ``d`` across a bar line at
    ``d + P - 1`` (0 for the common ones, see :data:`FREE_MASS`); ``register``: float ``[P]``, of a
    bar's first note.
    """

    first: np.ndarray
    last: np.ndarray
    next: np.ndarray
    step: np.ndarray
    register: np.ndarray

    @classmethod
    def learn(cls, onsets: np.ndarray, song: np.ndarray, bar: np.ndarray) -> "BassMotion":
        """From a bank's bass onsets ``[N, S, P]`` and its song and bar ids."""
        on = np.asarray(onsets, bool)
        p = on.shape[-1]
        first, last = bass_ends(on)
        has = first >= 0
        key = song.astype(np.int64) * (int(bar.max(initial=0)) + 2) + bar
        order = np.argsort(key, kind="stable")
        at = np.searchsorted(key[order], key + 1)
        found = (at < len(key)) & (key[order][np.minimum(at, len(key) - 1)] == key + 1)
        nxt = np.where(found, order[np.minimum(at, len(key) - 1)], -1)
        pairs = (nxt >= 0) & has
        pairs[pairs] &= has[nxt[pairs]]
        steps = first[nxt[pairs]] - last[pairs] + p - 1
        return cls(first, last, nxt, _log_dist(steps, 2 * p - 1), _log_dist(first[has], p))

    def step_score(self, frm: np.ndarray, to: np.ndarray) -> np.ndarray:
        """Log-likelihood of moving from pitch ``frm`` to ``to`` (broadcast; 0 where either is -1)."""
        p = self.register.shape[0]
        # a missing end is put far out of range, where the padded table is 0
        frm = np.where(frm >= 0, np.clip(frm, 0, p - 1), 20 * p)
        to = np.where(to >= 0, np.clip(to, 0, p - 1), 10 * p)
        d = np.clip(to - frm, -p, p)
        return np.concatenate([[0.0], self.step, [0.0]]).astype(np.float32)[d + p]

    def register_score(self, pitch: np.ndarray) -> np.ndarray:
        """Log-likelihood of a bar's first note at ``pitch`` (0 where -1)."""
        pitch = np.asarray(pitch)
        return np.where(pitch >= 0, self.register[np.clip(pitch, 0, self.register.shape[0] - 1)], 0.0)


def beam_path(n_bars: int, local_of: Callable[[int], np.ndarray], start: Callable[[np.ndarray], np.ndarray],
              transition: Callable[[np.ndarray, np.ndarray], np.ndarray],
              successors: Callable[[np.ndarray], np.ndarray]) -> list[int]:
    """The best sequence of states, one per bar: Viterbi over a beam.

    ``local_of(t)``: every state's own score in bar ``t`` (flat, -inf where not allowed); a bar's
    candidates are its states within :data:`CHORD_SLACK` of its best, the :data:`BEAM` best of
    them plus the ``successors`` (state ids, -1 for none) of the previous bar's kept states.
    ``start(states)`` adds to the first bar's, ``transition(prev, cur)`` (``[len(prev), len(cur)]``)
    scores each pair of consecutive states (each bar's states in increasing order). After each bar the :data:`BEAM` best paths are kept.
    """
    states: list[np.ndarray] = []
    back: list[np.ndarray] = []
    value = np.zeros(0)
    for t in range(n_bars):
        local = local_of(t)
        ok = local >= local.max() - CHORD_SLACK
        cand = np.flatnonzero(ok)
        if cand.size > BEAM:
            cand = np.sort(cand[np.argpartition(-local[cand], BEAM)[:BEAM]])
        if t == 0:
            value, arg = local[cand] + start(cand), np.zeros(cand.size, np.int64)
        else:
            nxt = successors(states[-1])
            nxt = nxt[nxt >= 0]
            cand = np.union1d(cand, nxt[ok[nxt]])
            total = value[:, None] + transition(states[-1], cand)
            arg = np.argmax(total, axis=0)
            value = total[arg, np.arange(cand.size)] + local[cand]
        if cand.size > BEAM:
            top = np.sort(np.argpartition(-value, BEAM)[:BEAM])
            cand, value, arg = cand[top], value[top], arg[top]
        states.append(cand)
        back.append(arg)
    if not states:
        return []
    i = int(np.argmax(value))
    path = []
    for t in range(n_bars - 1, -1, -1):
        path.append(int(states[t][i]))
        i = int(back[t][i])
    return path[::-1]
