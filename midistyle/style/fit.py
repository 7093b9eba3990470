"""Fit the style judge on a genre-labelled corpus (needs scikit-learn: ``pip install midistyle[train]``).

The split is the one ``midistyle prepare`` makes: each piece (a file, or one tune of an ABC
book) goes to validation when its content hash falls in the first ``val_fraction`` of hashes
(:func:`midistyle.data.corpus.split_of`, 0.1 by default), so the judge is validated on the same
pieces the generators never trained on. Duplicates (same content) are counted once.

Features are extracted once per piece, in worker processes, and cached under a folder of
``.npz`` chunks keyed by content hash (re-running resumes). Run as::

    midistyle judge fit --data ../shared/data --cache runs/features --out judge/
"""
from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
from pathlib import Path

import numpy as np

from ..data.corpus import split_of
from ..data.units import Unit, discover
from ..errors import MidistyleError, one_line
from .feature_sets import feature_set
from .features import FEATURE_NAMES, judged_song
from .judge import StyleJudge

VAL_FRACTION = 0.1
_CHUNK = 200


@dataclasses.dataclass
class Table:
    """Extracted features of a corpus: one row per piece, and segments pointing at their piece."""

    genre: np.ndarray  # str [n]
    source: np.ndarray  # str [n]: the collection below the genre folder (e.g. "pop909")
    split: np.ndarray  # str [n]: "train" / "val"
    name: np.ndarray  # str [n]: path or path#tune
    piece: np.ndarray  # float64 [n, F]
    seg: np.ndarray  # float64 [m, F]
    seg_piece: np.ndarray  # int64 [m]: row of the piece each segment belongs to
    view: np.ndarray  # str [n]: "" as written, else the copy's kind: "performance-like" or "grid"

    @property
    def augmented(self) -> np.ndarray:
        """bool [n]: a copy (performance-like rows are training rows only; grid rows are also
        validation rows, scored apart from the pieces as written)."""
        return self.view != ""

    def select(self, keep: np.ndarray) -> "Table":
        rows = np.flatnonzero(keep)
        remap = -np.ones(len(self.genre), np.int64)
        remap[rows] = np.arange(rows.size)
        seg_keep = remap[self.seg_piece] >= 0
        return Table(self.genre[rows], self.source[rows], self.split[rows], self.name[rows], self.piece[rows],
                     self.seg[seg_keep], remap[self.seg_piece[seg_keep]], self.view[rows])


def corpus_units(data: str | os.PathLike, genres: list[str] | None = None) -> list[Unit]:
    """The pieces of a corpus laid out as ``data/<genre>/<collection>/...``, duplicates dropped."""
    data = Path(data)
    genres = genres or sorted(p.name for p in data.iterdir() if p.is_dir() and not p.name.startswith("."))
    return discover({g: [data / g] for g in genres}).units


def subsample(units: list[Unit], data: str | os.PathLike, per_source: int | None = None,
              val_per_source: int | None = None, seed: int = 0, val_fraction: float = VAL_FRACTION,
              caps: dict | None = None) -> list[Unit]:
    """At most ``per_source`` training and ``val_per_source`` validation pieces of each collection
    (genre/source), drawn at random with ``seed``; ``caps``: ``{"genre/source": (train, val)}`` for
    collections capped otherwise (slow score files). The split stays :func:`split_of`'s. The draws
    are nested: a larger cap keeps every piece a smaller one drew (a feature cache grows, not churns)."""
    rng = np.random.default_rng(seed)
    groups: dict = {}
    for u in units:
        groups.setdefault((u.genre, collection(u, data), split_of(u.sha1, val_fraction)), []).append(u)
    keep = set()
    for (genre, source, split), members in sorted(groups.items()):
        cap = (caps or {}).get(f"{genre}/{source}", (per_source, val_per_source))[split != "train"]
        order = rng.permutation(len(members))  # drawn whatever the cap, so caps nest
        keep.update(id(members[i]) for i in (order if cap is None else order[:cap]))
    return [u for u in units if id(u) in keep]


def collection(unit: Unit, data: str | os.PathLike) -> str:
    """The first folder below the genre folder (the source collection)."""
    parts = Path(unit.path).resolve().relative_to(Path(data).resolve()).parts
    return parts[1] if len(parts) > 2 else parts[0]


AUGMENTED = ":performance-like"  # cache key suffix of a unit's performance-like copy


def grid_key(steps_per_beat: int) -> str:
    """Cache key suffix of a unit's copy through ``convert``'s beat alignment and grid."""
    return f":grid{steps_per_beat}"


def copies(sha1: str, augment: bool = False, grid: int = 0) -> list[tuple[str, str]]:
    """``(cache key, Table.view)`` of a unit's copies asked for (the unit itself not included)."""
    return [(sha1 + AUGMENTED, "performance-like")] * augment + [(sha1 + grid_key(grid), "grid")] * bool(grid)


def unit_features(unit: Unit, augment: bool = False, align: str = "off",
                  grid: int = 0, features: str = "notes") -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(key, piece features [F], segment features [m, F])`` of one unit, each read as a judge with
    ``align`` reads it (:func:`~midistyle.style.features.judged_song`); with ``augment`` also of its
    performance-like copy (key ``sha1 + AUGMENTED``), with ``grid`` of its copy through ``convert``'s
    beat alignment and a grid of that many steps per quarter (:func:`~midistyle.representation.beats.on_grid`;
    key ``sha1 + grid_key(grid)``; features None when no note is left in the roll's pitch range).
    ``features``: the feature set read (:mod:`~midistyle.style.feature_sets`). InputError when unreadable."""
    from ..config import RollConfig
    from ..representation import read
    from ..representation.beats import on_grid
    from ..representation.scores import read_abc_text
    from .augment import performance_like

    song = read_abc_text(unit.text, unit.source) if unit.kind == "abc" else read(unit.path)
    made = {"": lambda: song, "performance-like": lambda: performance_like(song, int(unit.sha1[:8], 16)),
            "grid": lambda: on_grid(song, RollConfig(steps_per_beat=grid))}
    rows = feature_set(features).rows
    out = []
    for key, view in [(unit.sha1, "")] + copies(unit.sha1, augment, grid):
        piece, segs = rows(judged_song(made[view](), align))
        if piece is None and not view:
            raise MidistyleError(f"{unit.source}: no pitched notes")
        out.append((key, piece, segs) if piece is not None else (key, None, None))
    return out


def _work(unit: Unit, augment: bool = False, align: str = "off", grid: int = 0, features: str = "notes"):
    try:
        return [(key, piece, segs, "" if piece is not None else "no notes in the roll's range")
                for key, piece, segs in unit_features(unit, augment, align, grid, features)]
    except Exception as exc:  # one bad piece is reported, not fatal
        return [(unit.sha1, None, None, one_line(exc))]


def extract(units: list[Unit], cache: str | os.PathLike, *, workers: int = 1, augment: bool = False,
            align: str = "off", grid: int = 0, progress: bool = True, features: str = "notes") -> dict:
    """Features (of the set ``features``) of every unit (and with ``augment`` of its performance-like
    copy, with ``grid`` of its copy through ``convert``'s grid) as read with ``align``, cached in
    ``cache`` (one variant per feature set and ``align``): key -> (piece [F], segments [m, F]) or an
    error string."""
    import functools

    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    names = feature_set(features).names
    variant = align if features == "notes" else f"{features}/{align}"
    done = load_cache(cache, variant, names)
    todo = [u for u in units if u.sha1 not in done or (isinstance(done[u.sha1], tuple) and any(
        k not in done for k, _ in copies(u.sha1, augment, grid)))]
    todo.sort(key=lambda u: -u.cost)  # big ones first: the pool stays busy at the end
    buffer: list = []

    def flush():
        if buffer:
            _write_chunk(cache, buffer, variant, names)
            buffer.clear()

    from tqdm import tqdm

    with multiprocessing.get_context("spawn").Pool(workers) if workers > 1 else _Serial() as pool, \
            tqdm(total=len(units), initial=len(units) - len(todo), disable=not progress, unit="piece") as bar:
        for rows in pool.imap_unordered(functools.partial(_work, augment=augment, align=align, grid=grid,
                                                          features=features), todo, chunksize=4):
            for key, piece, segs, err in rows:
                done[key] = err if piece is None else (piece, segs)
                buffer.append((key, piece, segs, err))
            if len(buffer) >= _CHUNK:
                flush()
            bar.update(1)
    flush()
    return done


class _Serial:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def imap_unordered(self, fn, items, chunksize=1):
        return map(fn, items)


def _write_chunk(cache: Path, rows: list, variant: str = "off", names=tuple(FEATURE_NAMES)) -> None:
    from ..atomic import atomic_path

    shas = np.array([r[0] for r in rows])
    ok = [r for r in rows if r[1] is not None]
    piece = np.array([r[1] for r in ok], np.float64).reshape(-1, len(names))
    segs = [r[2] for r in ok]
    seg = np.concatenate(segs or [np.zeros((0, len(names)))])
    owner = np.repeat(np.arange(len(ok)), [len(s) for s in segs])
    name = hashlib.sha1((variant + "".join(shas.tolist())).encode()).hexdigest()[:16]
    with atomic_path(cache / f"chunk-{name}.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, sha=shas, ok_sha=np.array([r[0] for r in ok]), error=np.array([r[3] for r in rows]),
                     piece=piece, seg=seg, owner=owner, names=np.array(list(names)), variant=np.array(variant))


def load_cache(cache: Path, variant: str = "off", names=tuple(FEATURE_NAMES)) -> dict:
    """sha1 -> (piece, segments) or an error string, from every chunk of ``variant`` (the ``align``
    setting, prefixed ``set/`` for a feature set other than "notes") whose feature names match."""
    out: dict = {}
    for path in sorted(Path(cache).glob("chunk-*.npz")):
        z = np.load(path, allow_pickle=False)
        if z["names"].tolist() != list(names) or (str(z["variant"]) if "variant" in z else "off") != variant:
            continue
        out.update({s: e for s, e in zip(z["sha"].tolist(), z["error"].tolist()) if e})
        for i, s in enumerate(z["ok_sha"].tolist()):
            out[s] = (z["piece"][i], z["seg"][z["owner"] == i])
    return out


def table(units: list[Unit], features: dict, data: str | os.PathLike, val_fraction: float = VAL_FRACTION,
          grid: int = 0, width: int = len(FEATURE_NAMES)) -> Table:
    """The extracted features of ``units`` (failed ones left out) as a :class:`Table`; where
    extracted, the performance-like copies of training pieces as extra training rows and, with
    ``grid``, every piece's copy through ``convert``'s grid (training rows, or validation rows
    scored apart). ``width``: the number of features."""
    rows = []
    for u in units:
        split = split_of(u.sha1, val_fraction)
        if isinstance(features.get(u.sha1), tuple):
            rows.append((u, split, "", features[u.sha1]))
            for key, view in copies(u.sha1, split == "train", grid):
                if isinstance(features.get(key), tuple):
                    rows.append((u, split, view, features[key]))
    segs = [f[1] for *_, f in rows]
    return Table(np.array([u.genre for u, *_ in rows]), np.array([collection(u, data) for u, *_ in rows]),
                 np.array([r[1] for r in rows]), np.array([u.source for u, *_ in rows]),
                 np.array([f[0] for *_, f in rows], np.float64).reshape(-1, width),
                 np.concatenate(segs or [np.zeros((0, width))]),
                 np.repeat(np.arange(len(rows)), [len(s) for s in segs]), np.array([r[2] for r in rows], dtype=str))


def fit_judge(x: np.ndarray, y: np.ndarray, genres: tuple[str, ...], *, weight: np.ndarray | None = None,
              c: float = 1.0, info: dict | None = None, features: str = "notes") -> StyleJudge:
    """Standardise, then fit an L2-regularised multinomial logistic regression with class weights
    balanced over ``genres`` (times ``weight`` per row, e.g. 1/segments of the row's piece), on the
    columns of the feature set ``features``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    y_idx = np.array([genres.index(g) for g in y])
    counts = np.bincount(y_idx, weights=weight, minlength=len(genres))
    w = (weight if weight is not None else np.ones(len(y))) * (counts.sum() / (len(genres) * counts))[y_idx]
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LogisticRegression(C=c, max_iter=3000).fit((x - scaler.mean_) / scale, y_idx, sample_weight=w)
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # two genres: sklearn keeps one logit; softmax([0, z]) is its sigmoid
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    return StyleJudge(tuple(genres), feature_set(features).names, scaler.mean_, scale, coef, intercept,
                      info=info or {}, features=features)


def piece_proba(judge: StyleJudge, t: Table, how: str = "piece") -> np.ndarray:
    """Per-piece probabilities: from piece features (``"piece"``), or the mean of the piece's segment
    log-probabilities (``"segments"``; pieces without a segment fall back to their piece features)."""
    p = judge.predict_proba(t.piece)
    if how == "segments" and len(t.seg):
        logp = np.log(judge.predict_proba(t.seg) + 1e-12)
        total = np.zeros_like(p)
        np.add.at(total, t.seg_piece, logp)
        n = np.bincount(t.seg_piece, minlength=len(p))
        has = n > 0
        q = np.exp(total[has] / n[has, None] - (total[has] / n[has, None]).max(axis=1, keepdims=True))
        p[has] = q / q.sum(axis=1, keepdims=True)
    return p


def scores(truth: np.ndarray, predicted: np.ndarray, genres: tuple[str, ...]) -> dict:
    """Per-genre recall, balanced accuracy and the confusion matrix (rows: truth, columns: predicted)."""
    cm = np.zeros((len(genres), len(genres)), np.int64)
    for t, p in zip(truth, predicted):
        cm[genres.index(t), genres.index(p)] += 1
    recall = {g: (cm[i, i] / cm[i].sum() if cm[i].sum() else float("nan")) for i, g in enumerate(genres)}
    present = [r for r in recall.values() if r == r]
    return {"recall": recall, "balanced_accuracy": float(np.mean(present)) if present else float("nan"),
            "confusion": cm.tolist(), "n": int(cm.sum())}


__all__ = ["Table", "corpus_units", "extract", "fit_judge", "fit_style_judge", "piece_proba", "scores", "subsample",
           "table"]


def fit_corpus(t: Table, genres: tuple[str, ...], *, how: str = "piece", c: float = 1.0,
               exclude: tuple[str, ...] = (), balance: str = "genre",
               views: tuple[str, ...] = ("", "performance-like", "grid"),
               info: dict | None = None, features: str = "notes") -> StyleJudge:
    """Fit on the training split of ``t``, leaving out the collections in ``exclude``.

    ``how="piece"`` fits one row per piece; ``"segments"`` one row per segment, each piece's
    segments weighted to sum to one (a long piece counts as much as a short one). Genres weigh
    the same; with ``balance="collection"`` so do the collections inside a genre (POP909's 909
    piano ballads do not outvote the Western pop files; 12k folk tunes from books do not outvote
    Nottingham's arrangements). ``views``: the rows fitted on, by :attr:`Table.view` ("" as
    written; the copies "performance-like" and "grid").
    """
    train = t.select((t.split == "train") & ~np.isin(t.source, list(exclude)) & np.isin(t.view, list(views)))
    weight = np.ones(len(train.genre))
    if balance == "collection":
        keys = np.char.add(np.char.add(train.genre.astype(str), "/"), train.source.astype(str))
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        weight = 1.0 / counts[inverse]
    if how == "segments":
        n = np.bincount(train.seg_piece, minlength=len(train.genre))
        w = weight[train.seg_piece] / n[train.seg_piece]  # every listed segment's piece has n >= 1
        judge = fit_judge(train.seg, train.genre[train.seg_piece], genres, weight=w, c=c, info=info, features=features)
        return dataclasses.replace(judge, rows="segments")
    return fit_judge(train.piece, train.genre, genres, weight=weight, c=c, info=info, features=features)


def validate(judge: StyleJudge, t: Table, how: str = "piece", view: str = "") -> dict:
    """Scores on the validation split of ``t``, its pieces as written (or their copies of ``view``,
    e.g. ``"grid"``: through ``convert``'s grid): overall and recall per collection."""
    val = t.select((t.split == "val") & (t.view == view))
    predicted = np.array(judge.genres)[piece_proba(judge, val, how).argmax(axis=1)]
    out = scores(val.genre, predicted, judge.genres)
    out["by_collection"] = {f"{g}/{s}": {"n": int(m.sum()), "recall": float(np.mean(predicted[m] == g))}
                            for g, s in sorted(set(zip(val.genre.tolist(), val.source.tolist())))
                            for m in [(val.genre == g) & (val.source == s)]}
    return out


def fit_style_judge(data: str | os.PathLike, cache: str | os.PathLike, *, workers: int = 1, how: str = "piece",
                    c: float = 1.0, exclude: tuple[str, ...] = (), balance: str = "genre", align: str = "off",
                    augment: bool = True, grid: int = 12, progress: bool = True, features: str = "notes",
                    genres: list[str] | None = None, per_source: int | None = None,
                    val_per_source: int | None = None, caps: dict | None = None,
                    seed: int = 0) -> tuple[StyleJudge, dict, dict | None]:
    """Fit the style judge on the corpus ``data`` (``<genre>/<collection>/...``): what ``midistyle judge fit`` runs.

    Parameters
    ----------
    data, cache : the corpus, and the feature cache folder (kept between runs: re-running resumes).
    workers : processes extracting features.
    how, c, exclude, balance : see :func:`fit_corpus` (``c`` is the inverse L2 strength).
    align : ``"auto"`` re-times performances off their own grid to beats tracked from their notes.
    augment : also fit on performance-like copies of the training pieces.
    grid : also fit on every training piece through convert's beat alignment and a grid of this many
        steps per quarter, and score validation pieces through it (0: no such copies).
    features : ``"notes"`` (the style judge) or ``"arrangement"`` (drums, feel, bass, harmony colour,
        instruments: the arrangement judge).
    genres : genre folders to use (default: every folder of ``data``).
    per_source, val_per_source, caps, seed : at most this many training / validation pieces per
        collection (seeded); ``caps``: ``{"genre/collection": (train, val)}`` for single collections.

    Returns
    -------
    ``(judge, validation, validation_on_grid)``: the judge (its ``info`` records the settings and
    both validations) and the :func:`validate` results, the second None without ``grid``.
    """
    exclude = tuple(exclude)
    caps = dict(caps or {})
    units = subsample(corpus_units(data, genres), data, per_source, val_per_source, seed, caps=caps)
    features_ = extract(units, cache, workers=workers, augment=augment, align=align, grid=grid, progress=progress,
                        features=features)
    t = table(units, features_, data, grid=grid, width=len(feature_set(features).names))
    genres = tuple(g for g in ("jazz", "classical", "pop", "folk", "rock") if g in set(t.genre)) + \
        tuple(sorted(set(t.genre) - {"jazz", "classical", "pop", "folk", "rock"}))
    info = {"trained_on": {f"{g}/{s}": int(((t.genre == g) & (t.source == s) & (t.split == "train") & ~t.augmented).sum())
                           for g, s in sorted(set(zip(t.genre.tolist(), t.source.tolist())))
                           if s not in exclude},
            "excluded": list(exclude), "balance": balance, "performance_like_copies": augment,
            "grid_copies": grid, "features": features,
            "subsample": {"per_source": per_source, "val_per_source": val_per_source, "caps": caps, "seed": seed},
            "C": c, "val_fraction": VAL_FRACTION,
            "split": "midistyle prepare's: sha1 of the piece's content, first 8 hex digits / 2^32 < 0.1 -> val"}
    real_train = (t.split == "train") & ~t.augmented & ~np.isin(t.source, exclude)
    # a genre's reference profile: the mean of its collections' means (POP909 does not outweigh freemidi pop)
    info["genre_means"] = {g: np.mean([t.piece[real_train & (t.genre == g) & (t.source == s)].mean(axis=0)
                                       for s in sorted(set(t.source[real_train & (t.genre == g)]))],
                                      axis=0).round(6).tolist() for g in genres}
    judge = fit_corpus(t, genres, how=how, c=c, exclude=exclude, balance=balance,
                       views=("",) + ("performance-like",) * augment + ("grid",) * bool(grid), info=info,
                       features=features)
    judge = dataclasses.replace(judge, align=align)
    result = validate(judge, t, judge.rows)
    judge.info["validation"] = {k: result[k] for k in ("balanced_accuracy", "recall", "confusion", "n")}
    on_grid = None
    if grid:
        on_grid = validate(judge, t, judge.rows, view="grid")
        judge.info["validation_on_grid"] = {k: on_grid[k] for k in ("balanced_accuracy", "recall", "confusion", "n")}
    return judge, result, on_grid


if __name__ == "__main__":  # the old entry point: say where the command went
    raise SystemExit("fitting the style judge is now `midistyle judge fit` (see `midistyle judge fit --help`)")
