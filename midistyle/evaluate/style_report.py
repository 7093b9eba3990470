"""The style judge's part of an evaluation: headline transfer numbers and the style profile.

Every source song, its converted output and (when given) real songs of the target genre are
judged by the style judge (:mod:`midistyle.style`), which no generator trains against. The style
profile compares the mean of every musical feature for the sources, the outputs and real target
music, group by group; a group *moved toward* the target when the outputs' means are at least 10%
closer to the target's than the sources' were (distance in units of each feature's spread in the
judge's training corpus).

Beside it, when one is installed, the arrangement judge (``features="arrangement"``: drums, feel,
bass motion, harmony colour, instruments; :mod:`midistyle.style.arrangement`) judges the same songs
the same way; its numbers sit under ``"arrangement_judge"`` and in a section of their own.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..style.feature_sets import feature_set
from ..style.features import FEATURE_GROUPS

MOVE = 0.10  # relative change of distance to the target that counts as moving
N_HIGHLIGHTS = 8


@dataclasses.dataclass
class StyleRecorder:
    """Collects features and verdicts song by song; :meth:`summary` gives the report's numbers."""

    judge: Any  # midistyle.style.StyleJudge
    to: str
    path: str = "shipped"
    sources: list = dataclasses.field(default_factory=list)  # (features, probs)
    outputs: list = dataclasses.field(default_factory=list)  # (features or None, probs or NaN)
    reals: list = dataclasses.field(default_factory=list)
    reals_on_grid: list = dataclasses.field(default_factory=list)  # the same songs through convert's grid
    arrangement: "StyleRecorder | None" = None  # the arrangement judge, recording the same songs

    def _judge(self, song) -> tuple[np.ndarray | None, np.ndarray]:
        if song.n_notes(drums=False) == 0:  # an output with no notes is no style at all
            return None, np.full(len(self.judge.genres), np.nan)
        song = self.judge.prepared(song)
        return feature_set(self.judge.features).piece(song), self.judge.song_proba(song, prepared=True)

    def add_song(self, song, out_song) -> dict:
        """Judge a source and its output; returns ``{"source": P(to), "output": P(to)}`` for the song's
        record (and the arrangement judge's under ``"arrangement"``)."""
        src, out = self._judge(song), self._judge(out_song)
        self.sources.append(src)
        self.outputs.append(out)
        i = self.target_index
        row = {"source": _f(src[1][i]) if i is not None else None, "output": _f(out[1][i]) if i is not None else None}
        if self.arrangement is not None:
            row["arrangement"] = self.arrangement.add_song(song, out_song)
        return row

    def add_real(self, song, on_grid=None) -> None:
        """Judge a real song of the target and, when given, the same song through the representation
        (aligned and quantised as ``convert`` would, no model): the best a generator could give back."""
        self.reals.append(self._judge(song))
        if on_grid is not None:
            self.reals_on_grid.append(self._judge(on_grid))
        if self.arrangement is not None:
            self.arrangement.add_real(song, on_grid)

    @property
    def target_index(self) -> int | None:
        return self.judge.genres.index(self.to) if self.to in self.judge.genres else None

    def summary(self, trained_against: str) -> dict:
        """Headline numbers, verdict counts and the style profile (see the module docstring)."""
        i, genres = self.target_index, list(self.judge.genres)
        out: dict = {"judge": {"path": self.path, "genres": genres, "rows": self.judge.rows,
                               "features": self.judge.features,
                               "validation_balanced_accuracy":
                                   self.judge.info.get("validation", {}).get("balanced_accuracy")},
                     "trained_against": trained_against, "songs": len(self.sources)}
        sets = {"inputs": self.sources, "outputs": self.outputs}
        if self.reals:
            sets["target_real"] = self.reals
        if self.reals_on_grid:
            sets["target_real_on_grid"] = self.reals_on_grid
        if i is not None:
            out["target_rate"] = {k: _rate(v, i) for k, v in sets.items()}
            out["p_target"] = {k: _f(np.nanmean([p[i] for _, p in v])) if _finite(v) else None for k, v in sets.items()}
            pairs = [(o[1][i] if np.isfinite(o[1][i]) else 0.0) - s[1][i] for s, o in zip(self.sources, self.outputs)]
            out["gain"] = _f(np.mean(pairs)) if pairs else None
        out["verdicts"] = {k: {g: int(sum(1 for _, p in v if np.isfinite(p).all() and genres[int(np.argmax(p))] == g))
                               for g in genres} for k, v in sets.items()}
        out["empty_outputs"] = int(sum(f is None for f, _ in self.outputs))
        ref, label = self.reference()
        groups = feature_set(self.judge.features).groups
        out["profile"] = profile(self.sources, self.outputs, ref, self.judge.scale, groups) if ref is not None else None
        out["reference"] = label
        if self.arrangement is not None:
            out["arrangement_judge"] = self.arrangement.summary(trained_against)
        return out

    def reference(self) -> tuple[np.ndarray | None, str]:
        """Mean features of real target music: the songs given, else the judge's training pieces."""
        feats = [f for f, _ in self.reals if f is not None]
        if feats:
            return np.mean(feats, axis=0), f"real {self.to} ({len(feats)} songs given)"
        means = self.judge.info.get("genre_means", {})
        if self.to in means and len(means[self.to]) == len(self.judge.feature_names):
            return np.asarray(means[self.to], np.float64), f"{self.to} in the judge's training corpus"
        return None, f"no {self.to} reference"


def load_recorder(style_judge, to: str, arrangement_judge=None) -> "StyleRecorder | None":
    """A StyleRecorder for the judge asked for (None: the shipped one, if installed; False: none),
    with the arrangement judge asked for beside it (same convention)."""
    from ..errors import ModelError
    from ..style import StyleJudge
    from ..style.judge import SHIPPED, SHIPPED_ARRANGEMENT

    def load(asked, shipped):
        if asked is False:
            return None
        if asked is None or asked is True:
            try:
                return StyleRecorder(StyleJudge.load(shipped), to)
            except ModelError:
                return None
        return StyleRecorder(StyleJudge.load(asked), to, path=str(asked))

    style = load(style_judge, SHIPPED)
    if style is not None:
        style.arrangement = load(arrangement_judge, SHIPPED_ARRANGEMENT)
    return style


def trained_against(conv) -> str:
    """Which classifier, if any, the converter trained against (its checkpoint's TrainConfig.genre_loss;
    ``"bank"`` for the arrangement transfer's bank of real bars)."""
    from .converters import train_meta

    if conv is None:
        return "unknown (outputs read from a folder, no model given)"
    meta = train_meta(conv)
    if meta is None:
        return "bank"
    return meta.train.genre_loss if meta.train is not None else "unknown (the checkpoint records no training config)"


# what a generator's TrainConfig.genre_loss means, in words
TRAINED_AGAINST = {
    "none": "no genre classifier (only its discriminator and content losses)",
    "cnn": "the shipped CNN genre classifier, so the CNN's numbers may flatter it",
    "aux": "a genre classifier head of its own discriminator (neither the style judge nor the CNN)",
    "bank": "no classifier (the arrangement transfer plays real bars of the genre from its bank; nothing trained)",
}


def trained_against_words(key: str) -> str:
    """``"aux"`` -> what that means; other text (``"unknown (...)"``) as it is."""
    return TRAINED_AGAINST.get(key, key)


def profile(sources: list, outputs: list, reference: np.ndarray, scale: np.ndarray,
            feature_groups: dict = FEATURE_GROUPS) -> dict:
    """Per group: each feature's mean for sources, outputs and the reference; distances; the verdict."""
    all_names = [n for names in feature_groups.values() for n in names]
    src = np.mean([f for f, _ in sources if f is not None], axis=0)
    outs = [f for f, _ in outputs if f is not None]
    out = np.mean(outs, axis=0) if outs else np.full(len(all_names), np.nan)
    groups = {}
    for group, names in feature_groups.items():
        idx = [all_names.index(n) for n in names]
        d_src = float(np.sqrt(np.mean(((src[idx] - reference[idx]) / scale[idx]) ** 2)))
        d_out = float(np.sqrt(np.mean(((out[idx] - reference[idx]) / scale[idx]) ** 2)))
        moved = "toward" if d_out < (1 - MOVE) * d_src else "away" if d_out > (1 + MOVE) * d_src else "same"
        groups[group] = {"features": {n: [_f(src[j]), _f(out[j]), _f(reference[j])] for n, j in zip(names, idx)},
                         "distance": {"sources": d_src, "outputs": _f(d_out)}, "moved": moved if outs else None}
    change = np.abs(out - src) / scale
    top = [int(j) for j in np.argsort(np.nan_to_num(change, nan=-1))[::-1][:N_HIGHLIGHTS] if change[j] > 0]
    return {"groups": groups,
            # one number per set: the mean of the group distances (lower is nearer the target)
            "distance": {k: _f(np.mean(d)) if (d := [g["distance"][k] for g in groups.values()
                                                     if g["distance"][k] is not None]) else None
                         for k in ("sources", "outputs")},
            "highlights": [{"feature": all_names[j], "sources": _f(src[j]), "outputs": _f(out[j]),
                            "reference": _f(reference[j])} for j in top]}


def _finite(v) -> bool:
    return any(np.isfinite(p).all() for _, p in v)


def _rate(v, i) -> float | None:
    """Share of songs judged the target (an empty output counts as not)."""
    return float(np.mean([bool(np.isfinite(p).all() and int(np.argmax(p)) == i) for _, p in v])) if v else None


def _f(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def ratio(a, b) -> str:
    """``b`` as a multiple of ``a`` for people: "3.0x", "0.5x", "n/a"."""
    if a is None or b is None:
        return "n/a"
    if abs(a) < 1e-9:
        return "new" if abs(b) > 1e-9 else "1.0x"
    return f"{b / a:.1f}x"


def markdown(st: dict, to: str, cnn: dict | None) -> list[str]:
    """The report.md sections: headline table (style judge, CNN beside it), profile, highlights;
    then the arrangement judge's, when it was recorded."""
    pct, num = _pct, _num
    m = (cnn or {}).get("model", {})
    i = (cnn or {}).get("identity", {})
    r = (cnn or {}).get("random_target", {})
    rows = [("songs judged " + to + ": inputs", pct(st.get("target_rate", {}).get("inputs")), pct(i.get("target_rate_songs"))),
            ("songs judged " + to + ": outputs", pct(st.get("target_rate", {}).get("outputs")), pct(m.get("target_rate_songs"))),
            (f"songs judged {to}: real {to}", pct(st.get("target_rate", {}).get("target_real")), pct(r.get("target_rate_songs"))),
            (f"songs judged {to}: real {to} through the grid, no model (the ceiling)",
             pct(st.get("target_rate", {}).get("target_real_on_grid")), "n/a"),
            (f"mean P({to}): inputs", num(st.get("p_target", {}).get("inputs")), num(i.get("p_target"))),
            (f"mean P({to}): outputs", num(st.get("p_target", {}).get("outputs")), num(m.get("p_target"))),
            (f"gain in P({to}) per song", num(st.get("gain")), num(m.get("gain_songs")))]
    lines = [f"## Style judge (headline)\n",
             f"The style judge reads musical features of the pitched notes (chords per beat, where onsets fall in "
             f"the beat, lines, register, key) and was trained on a corpus, never against a generator. The generator "
             f"was trained against: **{trained_against_words(st['trained_against'])}** (a generator trained against a classifier can fool "
             f"that classifier without changing the music). The CNN is the shipped piano-roll classifier, shown as a "
             f"second opinion (per song: mean over its phrase windows; P per window).\n",
             "| | style judge | CNN |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    if st.get("empty_outputs"):
        lines.append(f"\n{st['empty_outputs']} output(s) had no notes: counted as not {to}.")
    lines += _profile_lines(st, to, "Style profile")
    if st.get("arrangement_judge"):
        lines += arrangement_markdown(st["arrangement_judge"], to)
    return lines + [""]


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.0f}%"


def _num(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _profile_lines(st: dict, to: str, title: str) -> list[str]:
    """A judge's profile section: distance per feature group, then the largest changes."""
    prof = st.get("profile")
    if not prof:
        return []
    lines = [f"\n## {title}\n",
             f"Mean of each feature group for the sources, the outputs and {st['reference']}. Distance: "
             f"root-mean-square difference from {to}, in units of each feature's spread in the judge's corpus; "
             f"'toward' means the outputs are at least {int(MOVE * 100)}% closer to {to} than the sources.\n",
             "| group | sources -> target | outputs -> target | moved |", "|---|---|---|---|"]
    for g, row in prof["groups"].items():
        lines.append(f"| {g} | {_num(row['distance']['sources'])} | {_num(row['distance']['outputs'])} | "
                     f"{'**toward**' if row['moved'] == 'toward' else row['moved'] or 'n/a'} |")
    lines.append(f"| all groups (mean) | {_num(prof['distance']['sources'])} | {_num(prof['distance']['outputs'])} "
                 "| |")
    lines += ["\nLargest changes (feature means; ratios against the sources):\n",
              f"| feature | sources | outputs | {to} | outputs / sources | {to} / sources |", "|---" * 6 + "|"]
    for h in prof["highlights"]:
        lines.append(f"| {h['feature']} | {_num(h['sources'])} | {_num(h['outputs'])} | {_num(h['reference'])} | "
                     f"{ratio(h['sources'], h['outputs'])} | {ratio(h['sources'], h['reference'])} |")
    return lines


def arrangement_markdown(at: dict, to: str) -> list[str]:
    """The arrangement judge's section: songs judged the target, the listener's markers, its profile."""
    from ..style.arrangement import MARKERS

    rate, p = at.get("target_rate", {}), at.get("p_target", {})
    rows = [(f"songs judged {to}: {k}", _pct(rate.get(key)), _num(p.get(key)))
            for k, key in (("inputs", "inputs"), ("outputs", "outputs"), (f"real {to}", "target_real"),
                           (f"real {to} through the grid, no model", "target_real_on_grid"))]
    lines = ["\n## Arrangement judge\n",
             "The arrangement judge reads what a listener hears first: drums (density, backbeat, swung hi-hat and "
             "ride), feel (straight or swung 8ths), bass motion, harmony colour (7ths, triads), instrument families "
             "and polyphony. It was fitted on the corpus and no generator trains against it.\n",
             "| | judged the target | mean P(target) |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    groups = (at.get("profile") or {}).get("groups", {})
    marks = {n: v for g in groups.values() for n, v in g["features"].items() if n in MARKERS}
    if marks:
        lines += [f"\nMarkers (means): sources, outputs, {at['reference']}:\n",
                  "| marker | sources | outputs | target |", "|---|---|---|---|"]
        lines += [f"| {n} | {_num(a)} | {_num(b)} | {_num(c)} |" for n, (a, b, c) in marks.items()]
    return lines + _profile_lines(at, to, "Arrangement profile")


__all__ = ["StyleRecorder", "arrangement_markdown", "load_recorder", "markdown", "profile", "trained_against",
           "trained_against_words"]
