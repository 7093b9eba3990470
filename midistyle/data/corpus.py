"""Corpus preparation: folders of MIDI/MusicXML/kern/ABC per genre -> phrase shards + index.

:func:`prepare` finds the pieces (:mod:`.units`), cuts each into fixed-size phrases on worker
processes (:mod:`.phrases`, :mod:`.pool`), caches every piece's result, then writes the shards,
``skipped.csv`` and, last, ``index.json`` (:mod:`.index`). Re-running after an interruption
redoes only the missing pieces and writes the same index as a clean run.
"""
from __future__ import annotations

import collections
import csv
import dataclasses
import io
import json
import os
import shutil
import time
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..atomic import atomic_path, write_text
from ..config import RollConfig, to_dict
from ..errors import InputError, Interrupted, OutputError
from . import index as layout
from .phrases import PhraseSpec
from .pool import run_units
from .units import Unit, discover
from .worker import load_part, part_path

DEFAULT_TIME_LIMIT_S = 300.0


@dataclasses.dataclass
class PrepareReport:
    """Counts from one :func:`prepare` run. ``pieces``/``phrases``: genre -> split -> count;
    ``skipped``: reason (first clause) -> count; ``cached``: pieces reused from an earlier run;
    ``cpu_s``: CPU seconds the workers spent reading and cutting, by kind of piece (``midi``,
    ``score``, ``abc``; ``wall_s`` is the whole run)."""

    out_dir: Path
    genres: tuple[str, ...]
    files: dict[str, int]
    tunes: dict[str, int]
    pieces: dict[str, dict[str, int]]
    phrases: dict[str, dict[str, int]]
    skipped: dict[str, int]
    cached: int
    wall_s: float
    cpu_s: dict[str, float] = dataclasses.field(default_factory=dict)
    kept: tuple[str, ...] = ()  # genres the folder already held, kept
    replaced: tuple[str, ...] = ()  # genres the folder already held, prepared again
    aligned: dict[str, int] = dataclasses.field(default_factory=dict)  # pieces re-timed to estimated beats

    def summary_lines(self) -> list[str]:
        """A small table for people: per genre files, tunes, pieces and phrases by split, then skips."""
        lines = [f"{'genre':<10} {'files':>6} {'tunes':>6} {'pieces':>13} {'phrases':>15}",
                 f"{'':<10} {'':>6} {'':>6} {'train':>6} {'val':>6} {'train':>7} {'val':>7}"]
        for g in self.genres:
            p, f = self.pieces[g], self.phrases[g]
            lines.append(f"{g:<10} {self.files[g]:>6} {self.tunes[g]:>6} {p['train']:>6} {p['val']:>6} "
                         f"{f['train']:>7} {f['val']:>7}")
        total = sum(sum(v.values()) for v in self.phrases.values())
        cpu = ", ".join(f"{k} {v:.0f}" for k, v in sorted(self.cpu_s.items()))
        lines.append(f"{total} phrases in {self.out_dir} ({self.wall_s:.1f} s wall; worker CPU s: "
                     f"{cpu or 'none'}; {self.cached} pieces cached)")
        if self.kept:
            lines.append(f"kept {', '.join(self.kept)} from the earlier run in {self.out_dir} (unchanged pieces cached)")
        if self.replaced:
            lines.append(f"replaced {', '.join(self.replaced)}: prepared again from the folders given now")
        if any(self.aligned.values()):
            per = ", ".join(f"{g} {n}" for g, n in self.aligned.items() if n)
            lines.append(f"re-timed to beats estimated from their notes: {sum(self.aligned.values())} pieces "
                         f"({per}; index.json pieces[].align says which)")
        n_skip = sum(self.skipped.values())
        lines.append(f"skipped {n_skip} (see {layout.SKIPPED_NAME})" + (":" if n_skip else ""))
        lines.extend(f"  {n:>6}  {reason}" for reason, n in sorted(self.skipped.items(), key=lambda kv: -kv[1]))
        return lines

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["out_dir"] = str(self.out_dir)
        return d


def prepare(sources: Mapping[str, Sequence[str | os.PathLike]], out_dir: str | os.PathLike, *,
            cfg: RollConfig = RollConfig(), phrase_bars: int = 4, hop: int | None = None,
            phrase_steps: int | None = None, workers: int | None = None, val_fraction: float = 0.1,
            shard_size: int = 4096, time_limit: float | None = DEFAULT_TIME_LIMIT_S,
            progress: bool = True, keep_genres: bool = True, engine: str = "local",
            engine_address: str | None = None, align_beats: str = "auto",
            source_options: Mapping[str, Mapping] | None = None, content: str = "roll") -> PrepareReport:
    """Cut every piece under ``sources`` into phrases and write a training corpus to ``out_dir``.

    Parameters
    ----------
    sources : genre -> folders or files. Folders are searched recursively for MIDI, MusicXML,
        kern and ABC (each tune of an ABC book is a piece). Genres are labelled in this order.
    out_dir : output folder (created). Holds ``index.json`` (written last), ``skipped.csv``,
        ``shards/`` and ``cache/``; re-running resumes from ``cache/``.
    cfg : the piano-roll grid.
    phrase_bars : bars per phrase, cut at barlines. A piece shorter than this gives one padded
        phrase; trailing bars that do not fill a phrase are dropped.
    hop : bars between phrase starts (default ``phrase_bars``: no overlap).
    phrase_steps : steps stored per phrase (default ``phrase_bars * 4 * cfg.steps_per_beat``, a
        4/4 phrase); shorter phrases are zero-padded, longer ones cropped; the true length is kept.
    workers : worker processes (default: all cores).
    val_fraction : share of pieces in the validation split, chosen by content hash, so a file
        always lands on the same side, whatever else is prepared with it.
    shard_size : phrases per shard file.
    time_limit : CPU seconds one piece may take before it is skipped as a timeout (None: no
        limit); a piece stuck without progress is stopped after about 3x that in wall time.
    progress : show a progress bar on stderr.
    keep_genres : when ``out_dir`` already holds genres not in ``sources``, keep them (their
        folders are read again; unchanged pieces come from the cache); a genre given again is
        replaced. False: the folder holds ``sources`` only.
    engine : ``"local"`` (worker processes here) or ``"dask"``: the same per-piece work on a Dask
        cluster, with the same results (see :mod:`midistyle.engine`).
    engine_address : the Dask scheduler, e.g. ``tcp://host:8786``; None starts a local cluster
        of ``workers`` processes.
    align_beats : ``"auto"`` re-times pieces whose onsets miss their own grid to beats estimated
        from their notes before cutting them at barlines (:mod:`midistyle.representation.beats`);
        ``"on"``: every piece (one with no rhythm to track is skipped); ``"off"``: none.
    source_options : folder or file as given in ``sources`` -> its own ``{"align_beats": mode,
        "max_phrases": n}`` (``max_phrases``: keep at most n phrases per piece, spread over it).
    content : what a phrase holds: ``"roll"`` (the merged pitched roll the edit models train on;
        drum-only pieces are skipped) or ``"arrangement"`` (each piece read as a lead sheet:
        melody, bass, comp and a context plane of chords, drum lanes and bar grid, bit-packed, see
        :mod:`midistyle.arrangement.planes`; drum-only pieces are kept). Read these with
        :class:`~midistyle.data.dataset.ArrangementDataset`.

    Raises
    ------
    InputError
        A source is missing or holds no music. Unreadable pieces are not errors: they are
        listed in ``skipped.csv`` with the reason.
    OutputError
        ``out_dir`` cannot be used.
    EngineError
        The engine is not installed or cannot be reached, or a task failed on it.
    """
    from ..engine import check_engine

    check_engine(engine, engine_address)
    t0 = time.perf_counter()
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction!r}")
    if not isinstance(shard_size, int) or shard_size < 1:
        raise ValueError(f"shard_size must be a positive integer, got {shard_size!r}")
    hop = phrase_bars if hop is None else hop
    spec = PhraseSpec(cfg, phrase_bars, hop, phrase_steps or phrase_bars * 4 * cfg.steps_per_beat, content)
    workers = max(1, workers or os.cpu_count() or 1)
    sources, kept, replaced = merge_sources(Path(out_dir), sources) if keep_genres else (sources, (), ())
    _check_options(align_beats, source_options)
    # every source is checked (found, holding music) before the folder records it: a failed call
    # must not leave a genre behind that later runs would have to keep
    found = discover(sources, align=align_beats, source_options=source_options)
    out = _claim(Path(out_dir), sources)
    cache = out / layout.CACHE_DIR / spec.key()
    _tidy_cache(out / layout.CACHE_DIR, keep=cache)

    items = list(enumerate(found.units))
    todo = [it for it in items if not part_path(cache, it[1]).exists()]
    transient: dict[int, str] = {}  # timeouts and crashes: reported, not cached
    seen: set[int] = set()
    cpu: dict[str, float] = collections.defaultdict(float)
    bar = _progress(len(items), len(items) - len(todo), progress)

    def on_result(res: tuple[int, str, str, int, float]) -> None:
        idx, status, reason, _, cpu_s = res
        cpu[found.units[idx].kind] += cpu_s
        if status in ("timeout", "crash"):
            transient[idx] = reason
        if idx not in seen:
            seen.add(idx)
            bar.update(1)

    try:
        if engine == "dask":
            from .sandbox import run_units_on_engine
            run_units_on_engine(todo, spec, str(cache), workers, time_limit, on_result, engine_address)
        else:
            run_units(todo, spec, str(cache), workers, time_limit, on_result)
    except KeyboardInterrupt:
        raise Interrupted(len(items) - len(todo) + len(seen), len(items), "pieces",
                          "run the same command again to go on (finished pieces are cached)") from None
    finally:
        bar.close()
    report = _assemble(out, sources, found, spec, cache, transient, val_fraction, shard_size, progress)
    report.cached = len(items) - len(todo)
    report.kept, report.replaced = tuple(kept), tuple(replaced)
    report.wall_s = time.perf_counter() - t0
    report.cpu_s = {k: round(v, 2) for k, v in cpu.items()}
    return report


def _check_options(align_beats: str, source_options) -> None:
    from ..representation.beats import MODES

    if align_beats not in MODES:
        raise ValueError(f"align_beats must be one of {', '.join(MODES)}, got {align_beats!r}")
    for where, opts in (source_options or {}).items():
        mode, most = opts.get("align_beats", align_beats), opts.get("max_phrases")
        if mode not in MODES:
            raise ValueError(f"{where}: align_beats must be one of {', '.join(MODES)}, got {mode!r}")
        if most is not None and (not isinstance(most, int) or isinstance(most, bool) or most < 1):
            raise ValueError(f"{where}: max_phrases must be a positive integer, got {most!r}")


def split_of(sha1: str, val_fraction: float) -> str:
    """``"val"`` for about ``val_fraction`` of content hashes, always the same for the same hash."""
    return "val" if int(sha1[:8], 16) / 2 ** 32 < val_fraction else "train"


def reason_kind(reason: str) -> str:
    """The reason's first clause, for counting (``"malformed MIDI: ..."`` -> ``"malformed MIDI"``)."""
    for prefix in ("duplicate of", "timeout"):
        if reason.startswith(prefix):
            return prefix.split()[0]
    return reason.split(":", 1)[0]


# ---- output ------------------------------------------------------------------------------------

def _claim(out: Path, sources) -> Path:
    """Create ``out``, record every genre's folders, and mark it unfinished (no index) before
    anything in it changes: a run killed now still knows the genres a rerun must keep."""
    if out.exists() and not out.is_dir():
        raise OutputError(out, "exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_text(out / layout.SOURCES_NAME, json.dumps(
            {g: [os.path.abspath(p) for p in _entries(v)] for g, v in sources.items()}, indent=1))
        (out / layout.INDEX_NAME).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(out, f"cannot write here: {exc.strerror or exc}") from None
    return out


def _entries(value) -> list[str]:
    return [str(p) for p in ([value] if isinstance(value, (str, os.PathLike)) else value)]


def merge_sources(out: Path, sources: Mapping[str, Sequence[str | os.PathLike]]):
    """``(all sources, genres kept, genres replaced)``: the genres ``out`` already holds (from its
    sources.json, else its index) with ``sources`` added; a genre in both takes the new folders
    (replaced when they differ from the old ones). InputError when a kept genre's folders are gone."""
    old: dict = {}
    for name in (layout.SOURCES_NAME, layout.INDEX_NAME):
        try:
            data = json.loads((out / name).read_text(encoding="utf-8"))
            old = data if name == layout.SOURCES_NAME else data.get("sources", {})
            break
        except (OSError, ValueError, AttributeError):
            continue
    if not isinstance(old, dict):
        old = {}
    kept = [g for g in old if g not in sources]
    for genre in kept:
        for entry in _entries(old[genre]):
            if not os.path.exists(entry):
                raise InputError(entry, f"genre {genre!r} already in {out} was prepared from here, which is gone: "
                                        f"point it elsewhere (prepare FOLDER --genre {genre} -o {out}), drop it "
                                        f"(remove {genre!r} from {out / layout.SOURCES_NAME}), or prepare into "
                                        f"a new folder")
    merged = {g: (sources[g] if g in sources else _entries(old[g])) for g in old}
    merged.update({g: v for g, v in sources.items() if g not in old})
    absolute = lambda v: sorted(os.path.abspath(p) for p in _entries(v))  # noqa: E731
    return merged, kept, [g for g in sources if g in old and absolute(sources[g]) != absolute(old[g])]


def _tidy_cache(cache_root: Path, keep: Path) -> None:
    """Drop caches of other settings or code versions, and temp files of killed writers."""
    if cache_root.is_dir():
        for child in cache_root.iterdir():
            if child != keep:
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
    if keep.is_dir():
        for tmp in keep.glob("*/.*.part"):
            tmp.unlink(missing_ok=True)
    keep.mkdir(parents=True, exist_ok=True)


def _progress(total: int, initial: int, enabled: bool, desc: str = "prepare"):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="piece", desc=desc, disable=not enabled,
                dynamic_ncols=True, smoothing=0.05)


def _assemble(out: Path, sources, found, spec: PhraseSpec, cache: Path, transient: dict[int, str],
              val_fraction: float, shard_size: int, progress: bool) -> PrepareReport:
    """Cached parts -> shards, ``skipped.csv``, and last ``index.json``; the same bytes on every run."""
    genres = tuple(sources)
    units = found.units
    groups: dict[tuple[str, str], list[int]] = collections.defaultdict(list)
    for i, u in enumerate(units):
        groups[(u.genre, split_of(u.sha1, val_fraction))].append(i)
    pieces, rows, shards, skips = [], [], [], {}
    counts = {k: {g: {s: 0 for s in layout.SPLITS} for g in genres} for k in ("pieces", "phrases")}
    aligned = {g: 0 for g in genres}
    bar = _progress(len(units), 0, progress, desc="write shards")
    for genre in genres:
        for split in layout.SPLITS:
            sink = ShardSink(out, genre, split, shard_size, shards)
            for i in groups.get((genre, split), []):
                bar.update(1)
                if i in transient:
                    skips[i] = transient[i]
                    continue
                meta, data = load_part(part_path(cache, units[i]))
                if meta["status"] != "ok":
                    skips[i] = meta["reason"]
                    continue
                pieces.append(_piece_record(units[i], split, meta, len(rows)))
                places = sink.add(data["rolls"])
                rows.extend([shard, row, len(pieces) - 1, int(b), int(n), str(m)] for (shard, row), b, n, m
                            in zip(places, data["bars"], data["steps"], data["meters"]))
                counts["pieces"][genre][split] += 1
                aligned[genre] += meta["info"].get("align") == "aligned"
                counts["phrases"][genre][split] += len(places)
            sink.close()
    bar.close()
    skipped = [(units[i].source, skips[i]) for i in sorted(skips)] + [(src, why) for _, src, why in found.duplicates]
    _remove_stale_shards(out, {s["file"] for s in shards})
    _write_skipped(out / layout.SKIPPED_NAME, skipped)
    summary = {"files": found.files, "tunes": found.tunes, **counts, "aligned": aligned,
               "skipped": dict(collections.Counter(reason_kind(r) for _, r in skipped))}
    index = {"format": layout.FORMAT, "version": layout.VERSION, "roll_config": to_dict(spec.roll),
             "phrase_bars": spec.phrase_bars, "hop": spec.hop, "phrase_steps": spec.phrase_steps,
             "n_pitches": spec.roll.n_pitches, "val_fraction": val_fraction, "genres": list(genres),
             "sources": {g: [str(p) for p in ([v] if isinstance(v, (str, os.PathLike)) else v)]
                         for g, v in sources.items()},
             "summary": summary, "shards": shards, "pieces": pieces,
             "phrase_columns": list(layout.PHRASE_COLUMNS), "phrases": rows}
    if spec.content != "roll":  # merged-roll indexes stay as they were
        from ..arrangement.planes import PLANES
        index.update(content=spec.content, planes=list(PLANES))
    write_text(out / layout.INDEX_NAME, dump_index(index))
    return PrepareReport(out, genres, found.files, found.tunes, counts["pieces"], counts["phrases"],
                         summary["skipped"], cached=0, wall_s=0.0, aligned=aligned)


def _piece_record(unit: Unit, split: str, meta: dict, first: int) -> dict:
    return {"genre": unit.genre, "split": split, "source": unit.source, "path": unit.path, "tune": unit.tune,
            "kind": unit.kind, "sha1": unit.sha1, **meta["info"], "n_phrases": meta["n_phrases"],
            "first_phrase": first}


def dump_index(index: dict) -> str:
    """JSON with one phrase or piece per line: small, diffable, and quick to load."""
    head = {k: v for k, v in index.items() if k not in ("shards", "pieces", "phrases")}
    text = json.dumps(head, indent=1, sort_keys=True)[:-2]
    for key in ("shards", "pieces", "phrases"):
        body = ",\n".join(json.dumps(x, sort_keys=True, separators=(",", ":")) for x in index[key])
        text += f',\n "{key}": [\n{body}\n ]'
    return text + "\n}\n"


def _write_skipped(path: Path, skipped: list[tuple[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["path", "reason"])
    w.writerows(skipped)
    write_text(path, buf.getvalue())


def _remove_stale_shards(out: Path, keep: set[str]) -> None:
    folder = out / layout.SHARD_DIR
    if folder.is_dir():
        for f in folder.iterdir():
            if f"{layout.SHARD_DIR}/{f.name}" not in keep:
                f.unlink(missing_ok=True)


class ShardSink:
    """Collects one (genre, split)'s phrases in order and writes full shards atomically."""

    def __init__(self, out: Path, genre: str, split: str, size: int, shards: list[dict]):
        self.out, self.genre, self.split, self.size, self.shards = out, genre, split, size, shards
        self.base = len(shards)  # groups never interleave, so this group's shards follow here
        self.buffer: list[np.ndarray] = []
        self.buffered = 0
        self.count = 0

    def add(self, rolls: np.ndarray) -> list[tuple[int, int]]:
        """Queue phrases; returns each one's (shard index, row)."""
        places = [divmod(self.count + k, self.size) for k in range(len(rolls))]
        self.count += len(rolls)
        self.buffer.append(rolls)
        self.buffered += len(rolls)
        while self.buffered >= self.size:
            self._write(self.size)
        return [(self.base + k, row) for k, row in places]

    def close(self) -> None:
        if self.buffered:
            self._write(self.buffered)

    def _write(self, n: int) -> None:
        data = np.concatenate(self.buffer) if len(self.buffer) > 1 else self.buffer[0]
        part, rest = data[:n], data[n:]
        k = len(self.shards) - self.base
        name = f"{layout.SHARD_DIR}/{self.genre}-{self.split}-{k:04d}.npy"
        with atomic_path(self.out / name) as tmp, open(tmp, "wb") as f:
            np.save(f, np.ascontiguousarray(part, dtype=np.uint8))
        self.shards.append({"file": name, "genre": self.genre, "split": self.split, "rows": int(n)})
        self.buffer, self.buffered = ([rest] if len(rest) else []), len(rest)
