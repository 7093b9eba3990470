"""Arrangement-level transfer against issue 30's ship bar: content kept, genre by the notes and by
the arrangement, the listener's markers, for any converter ``convert(song, target) -> Song``.

Per output (all times in the source's quarters; an output re-timed by its converter is mapped back
through the two tempo maps):

- ``melody_f1``: note F1 of the output's melody against the source's lead-sheet melody, a note
  matching when its pitch is equal and its onset lies less than an 8th note away (so swing may
  move it). The output's melody is the output tracks named as the source's melody parts (every
  converter here keeps track names: the arrangers keep the melody tracks, the merged-roll
  converters give notes back to the source's tracks); when none is found, the output read as a
  lead sheet (``melody_from`` says which). ``melody_kept``: the share of source melody notes found
  in any pitched output track (the melody may be there, just not where the F1 looked);
- ``chroma``: median over the source's bars of the cosine between the source's and the output's
  pitch-class chroma (all pitched notes, weighted by duration in the bar);
- ``notes`` / ``arrangement``: each judge's probabilities (the style judge reads the pitched notes,
  the arrangement judge drums, feel, bass, harmony colour, instruments, polyphony);
- ``markers``: the listener's headline markers and the instrument families, from the arrangement
  features (:mod:`midistyle.style.arrangement`).

The same measures on real songs of each target genre are the reference (:func:`reference`);
:func:`check` applies the bar. A converter with a seed may be run at several (:func:`run`'s
``seed`` tags the records): :func:`summary` pools every output and adds each seed's judged share
and the pooled share's Wilson interval (:func:`wilson`). Numpy only; the judges are loaded by the
caller.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..analysis.leadsheet import read_lead_sheet
from ..representation.roll import bar_lines
from ..representation.song import Song, Track
from .metrics import match_count
from ..style.arrangement import ARRANGEMENT_NAMES, FAMILIES, arrangement_features

TOLERANCE = 0.5  # quarters: an onset less than an 8th note away matches
BAR = {"judged": 0.85, "melody_f1": 0.9, "chroma": 0.70}  # issue 30, point 4
MARKERS = ("straight8", "triplet8", "bass_walk", "seventh", "drums")
FAMILY_MIN = 0.10  # a family listed among a song's instruments plays at least this share of its notes

Convert = Callable[[Song, str], Song]


# --- content ------------------------------------------------------------------------------------

def in_frame(song: Song, ref: Song) -> Song:
    """``song`` with its note times moved into ``ref``'s quarters (same seconds); unchanged when the
    tempo maps are the same."""
    if [tuple(t) for t in song.tempos] == [tuple(t) for t in ref.tempos]:
        return song
    q0 = np.array([q for q, _ in ref.tempos], np.float64)
    qpm = np.array([b for _, b in ref.tempos], np.float64)
    s0 = ref.seconds(q0)

    def back(q):
        s = song.seconds(q)
        i = np.clip(np.searchsorted(s0, s, side="right") - 1, 0, len(s0) - 1)
        return q0[i] + (s - s0[i]) * qpm[i] / 60.0

    return song.with_tracks([t.replace_notes(back(t.start), back(t.end), t.pitch, t.velocity)
                             for t in song.tracks])


def _notes(tracks: Iterable[Track]) -> tuple[np.ndarray, np.ndarray]:
    tracks = [t for t in tracks if not t.is_drum]
    onset = np.concatenate([t.start for t in tracks] or [np.zeros(0)])
    pitch = np.concatenate([t.pitch for t in tracks] or [np.zeros(0, np.int16)]).astype(np.int64)
    return onset, pitch


def melody(song: Song) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(onsets, pitches, part names)`` of the song's lead-sheet melody."""
    parts = read_lead_sheet(song).part("melody")
    return (*_notes(parts), [t.name for t in parts])


def output_melody(output: Song, names: list[str]) -> tuple[np.ndarray, np.ndarray, str]:
    """The output's melody notes: its tracks named as the source's melody parts when each such name
    is non-empty and names exactly one output track, else its own lead-sheet melody (unnamed or
    same-named tracks say nothing). Returns ``(onsets, pitches, "names" or "roles")``."""
    named = [t for t in output.pitched if t.name in set(names)]
    unique = all(n and sum(t.name == n for t in output.tracks) == 1 for n in names)
    if names and unique and any(t.n_notes for t in named):
        return (*_notes(named), "names")
    return (*melody(output)[:2], "roles")


def matched(ref: tuple[np.ndarray, np.ndarray], est: tuple[np.ndarray, np.ndarray],
            tol: float = TOLERANCE) -> int:
    """Most pairs of (reference, estimate) notes with equal pitch and onsets less than ``tol`` apart,
    each note used once (per pitch, greedy in time order is a maximum matching on a line)."""
    return sum(match_count(np.sort(ref[0][ref[1] == p]), np.sort(est[0][est[1] == p]), tol, strict=True)
               for p in np.intersect1d(ref[1], est[1]))


def note_f1(ref, est, tol: float = TOLERANCE) -> float:
    """F1 of ``est`` notes against ``ref`` notes (each ``(onsets, pitches)``); 1.0 when both are empty."""
    n_ref, n_est = len(ref[0]), len(est[0])
    if n_ref == 0 and n_est == 0:
        return 1.0
    m = matched(ref, est, tol)
    return 2.0 * m / (n_ref + n_est)


def bar_chroma(song: Song, bars: np.ndarray) -> np.ndarray:
    """``[n_bars, 12]``: quarters each pitch class sounds in each bar ``[bars[k], bars[k+1])``."""
    start, pitch = _notes(song.tracks)
    end = np.concatenate([t.end for t in song.pitched] or [np.zeros(0)])
    out = np.zeros((max(0, len(bars) - 1), 12))
    if start.size == 0 or out.shape[0] == 0:
        return out
    a, b = bars[:-1, None], bars[1:, None]
    overlap = np.clip(np.minimum(b, end[None]) - np.maximum(a, start[None]), 0.0, None)  # [bars, notes]
    for pc in range(12):
        out[:, pc] = overlap[:, pitch % 12 == pc].sum(axis=1)
    return out


def chroma_similarity(source: Song, output: Song) -> float:
    """Median over the source's sounding bars of the cosine of the two songs' bar chroma (an output
    bar with nothing in it scores 0); NaN when the source has no pitched note."""
    bars = bar_lines(source)
    src, out = bar_chroma(source, bars), bar_chroma(output, bars)
    norm_s, norm_o = np.linalg.norm(src, axis=1), np.linalg.norm(out, axis=1)
    heard = norm_s > 0
    if not heard.any():
        return float("nan")
    cos = (src * out).sum(axis=1)[heard] / np.maximum(norm_s[heard] * norm_o[heard], 1e-12)
    return float(np.median(cos))


# --- genre and markers --------------------------------------------------------------------------

@dataclasses.dataclass
class Judges:
    """The two judges an output is read by (either may be None): ``notes`` a style judge,
    ``arrangement`` a judge on the arrangement features (a StyleJudge fitted on them, or anything
    with ``genres`` and ``predict_proba(features)``)."""

    notes: Any = None
    arrangement: Any = None

    def read(self, song: Song) -> dict:
        """``{"notes": {genre: p} | None, "arrangement": {genre: p} | None, "markers": {...}}``."""
        out: dict = {"notes": None, "arrangement": None}
        if self.notes is not None and song.n_notes(drums=False):
            out["notes"] = _probs(self.notes.genres, self.notes.song_proba(song))
        prepared = self.arrangement.prepared(song) if hasattr(self.arrangement, "prepared") else song
        feats = arrangement_features(prepared)
        if self.arrangement is not None and song.n_notes():
            out["arrangement"] = _probs(self.arrangement.genres, self.arrangement.predict_proba(feats))
        out["markers"] = markers(feats)
        return out


def _probs(genres, p) -> dict[str, float]:
    return {g: float(v) for g, v in zip(genres, np.asarray(p, np.float64))}


def markers(features: np.ndarray) -> dict:
    """The listener's markers from arrangement features, plus ``families``: the GM families playing
    at least :data:`FAMILY_MIN` of the pitched notes, most first."""
    values = dict(zip(ARRANGEMENT_NAMES, map(float, features)))
    out: dict = {m: values[m] for m in MARKERS}
    fam = sorted(((values[f"family_{f}"], f) for f in FAMILIES), reverse=True)
    out["families"] = [f for share, f in fam if share >= FAMILY_MIN]
    return out


def verdict(probs: Mapping[str, float] | None) -> str | None:
    return max(probs, key=probs.get) if probs else None


# --- runs ---------------------------------------------------------------------------------------

def measure(source: Song, output: Song, judges: Judges, src_melody=None) -> dict:
    """Every measure of one output against its source (``src_melody``: :func:`melody` of the source, if known)."""
    rec = content(source, output, src_melody)
    rec.update(judges.read(output))
    return rec


def content(source: Song, output: Song, src_melody=None) -> dict:
    """What the output kept of its source: ``melody_f1``, ``melody_from``, ``melody_kept``, ``chroma``."""
    onsets, pitches, names = src_melody or melody(source)
    framed = in_frame(output, source)
    est_on, est_p, where = output_melody(framed, names)
    all_on, all_p = _notes(framed.tracks)
    rec = {"melody_f1": note_f1((onsets, pitches), (est_on, est_p)), "melody_from": where,
           "melody_kept": matched((onsets, pitches), (all_on, all_p)) / onsets.size if onsets.size else None,
           "chroma": chroma_similarity(source, framed)}
    return rec


def run(sources: list[tuple[Song, str]], convert: Convert, targets: Iterable[str], judges: Judges,
        progress: Callable[[str], None] | None = None, seed: int | None = None) -> dict[str, list[dict]]:
    """Convert each source (song, genre) to every target but its own genre and measure it.
    Returns target -> records (``source``, ``from``, the measures, ``seconds``; ``error`` when the
    converter raised: the output counts as failing every measure; ``seed``, when given: the
    converter's seed, for :func:`summary` to pool runs at several seeds)."""
    out: dict[str, list[dict]] = {t: [] for t in targets}
    cache: dict[int, tuple] = {}
    unchanged: dict[int, dict] = {}  # a converter that hands the source back is measured once
    for target in out:
        for k, (song, genre) in enumerate(sources):
            if genre == target:
                continue
            rec: dict = {"source": song.source, "from": genre, **({} if seed is None else {"seed": seed})}
            t0 = time.perf_counter()
            try:
                result = convert(song, target)
                if k not in cache:
                    cache[k] = melody(song)
                if result is song and k in unchanged:
                    rec.update(unchanged[k])
                else:
                    rec.update(measure(song, result, judges, cache[k]))
                    if result is song:
                        unchanged[k] = {key: v for key, v in rec.items() if key not in ("source", "from")}
            except Exception as exc:  # noqa: BLE001 -- a batch finishes, then lists its failures
                rec["error"] = f"{type(exc).__name__}: {exc}"
            rec["seconds"] = time.perf_counter() - t0
            out[target].append(rec)
            if progress:
                progress(f"{target} <- {genre}: {song.source}")
    return out


def reference(reals: Iterable[Song], genre: str, judges: Judges) -> dict:
    """Real songs of ``genre``: each judge's recognition (share judged ``genre``), the markers' medians."""
    records = [judges.read(s) for s in reals]
    return {"songs": len(records), **_rates(records, genre, judges), "mean_p": _mean_p(records, genre, judges),
            "markers": _marker_medians(records)}


def _per_judge(records: list[dict], genre: str, judges: Judges, value: Callable[[dict | None], float]) -> dict:
    """Each judge's mean of ``value(its probabilities)`` over the records; None for a judge that is
    absent or does not know the genre, or without records."""
    out = {}
    for name in ("notes", "arrangement"):
        judge = getattr(judges, name)
        known = judge is not None and genre in judge.genres and records
        out[name] = float(np.mean([value(r.get(name)) for r in records])) if known else None
    return out


def _rates(records: list[dict], genre: str, judges: Judges) -> dict:
    """Share of records each judge calls ``genre`` (no verdict counts as not); None as in :func:`_per_judge`."""
    return _per_judge(records, genre, judges, lambda probs: verdict(probs) == genre)


def _mean_p(records: list[dict], genre: str, judges: Judges) -> dict:
    """Each judge's mean probability of ``genre`` (a failed or unread output counts 0); None as in :func:`_per_judge`."""
    return _per_judge(records, genre, judges, lambda probs: (probs or {}).get(genre, 0.0))


def wilson(k: float, n: float, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (``z`` = 1.96: 95%) of a share ``k / n``: the shares ``p`` with
    ``|k/n - p| <= z sqrt(p (1 - p) / n)``. ``k`` may be fractional (a pooled share times an
    effective ``n``); ``n`` = 0 says nothing: (0, 1)."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= k <= n:
        raise ValueError(f"share {k}/{n} outside [0, 1]")
    p, zz = k / n, z * z
    centre = (p + zz / (2 * n)) / (1 + zz / n)
    half = z * np.sqrt(p * (1 - p) / n + zz / (4 * n * n)) / (1 + zz / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def _marker_medians(records: list[dict]) -> dict:
    """Median of each marker (``drums``, 0/1 per song: the share of songs with drums); ``families``:
    those most songs play."""
    rows = [r["markers"] for r in records if "markers" in r]
    out: dict = {m: float((np.mean if m == "drums" else np.median)([r[m] for r in rows])) if rows else None
                 for m in MARKERS}
    counts: dict[str, int] = {}
    for r in rows:
        for f in r["families"]:
            counts[f] = counts.get(f, 0) + 1
    out["families"] = [f for f, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n >= len(rows) / 2]
    return out


def summary(records: list[dict], target: str, judges: Judges) -> dict:
    """One target's outputs, pooled over the seeds they were converted at: judged-target rates, mean
    melody F1, mean chroma similarity, markers; ``seeds`` and, per judge, ``per_seed`` (the judged
    share at each seed, in ``seeds`` order), ``mean_p`` (mean probability of ``target``) and
    ``interval`` (the pooled share's 95% Wilson interval with ``n`` = the number of ``sources``:
    one source's outputs at several seeds are not independent draws, so counting each output would
    narrow it falsely)."""
    ok = [r for r in records if "error" not in r]
    seeds = sorted({r.get("seed", 0) for r in records})
    n_sources = len({(r["source"], r["from"]) for r in records})
    rates = _rates(records, target, judges)
    at = [_rates([r for r in records if r.get("seed", 0) == s], target, judges) for s in seeds]
    per_seed = {j: None if rates[j] is None else [a[j] for a in at] for j in rates}
    interval = {j: None if rates[j] is None else list(wilson(rates[j] * n_sources, n_sources)) for j in rates}

    def mean(key):
        vals = [r[key] if "error" not in r and r.get(key) is not None and np.isfinite(r[key]) else 0.0
                for r in records]  # a failed or empty output keeps nothing
        return float(np.mean(vals)) if vals else None

    return {"songs": len(records), "sources": n_sources, "seeds": seeds, "errors": len(records) - len(ok), **rates,
            "per_seed": per_seed, "mean_p": _mean_p(records, target, judges), "interval": interval,
            "melody_f1": mean("melody_f1"), "melody_kept": mean("melody_kept"), "chroma": mean("chroma"),
            "markers": _marker_medians(ok), "seconds": float(sum(r["seconds"] for r in records))}


def check(out: dict, real: dict, bar: Mapping[str, float] = BAR) -> dict:
    """The bar for one target: ``{"notes", "arrangement", "melody", "harmony": bool or None,
    "unjudged": [judges with no rate], "within_noise": [judges whose bar lies inside the pooled
    share's 95% interval (``out["interval"]``, when given)], "pass": bool}``. A judge check is None when that judge has no
    rate for the target or its real music (a genre it was not fitted on: the style judge and
    country); the target then passes on the other checks, with at least one judge's, and
    ``unjudged`` says which judge could not say."""
    res: dict[str, Any] = {}
    for judge in ("notes", "arrangement"):
        o, r = out.get(judge), real.get(judge)
        res[judge] = None if o is None or r is None else bool(o >= bar["judged"] * r - 1e-12)
    intervals = out.get("interval") or {}
    res["within_noise"] = [j for j in ("notes", "arrangement") if res[j] is not None and intervals.get(j)
                           and intervals[j][0] <= bar["judged"] * real[j] <= intervals[j][1]]
    res["melody"] = out.get("melody_f1") is not None and out["melody_f1"] >= bar["melody_f1"]
    res["harmony"] = out.get("chroma") is not None and out["chroma"] >= bar["chroma"]
    judged = [res[j] for j in ("notes", "arrangement") if res[j] is not None]
    res["unjudged"] = [j for j in ("notes", "arrangement") if res[j] is None]
    res["pass"] = bool(judged) and all(judged) and res["melody"] and res["harmony"]
    return res


__all__ = ["BAR", "Judges", "MARKERS", "TOLERANCE", "chroma_similarity", "check", "in_frame", "markers", "measure",
           "melody", "note_f1", "reference", "run", "summary", "wilson"]
