"""Lead-sheet reading on POP909: chords (mir_eval root/majmin), melody (note F1), key, time per song.

Songs: a seeded draw of ``--n`` from POP909 101-909 (001-100 tuned the chord weights), or
``--all`` for every song from 101. For each song:

- chords: ``recognise_chords`` on all tracks against ``chord_midi.txt`` (seconds of the MIDI clock:
  our quarter times go through ``Song.seconds``), mir_eval.chord.evaluate, duration-weighted;
  baseline: music21's own chord reading per beat (``chord.Chord(pitches).root()`` and
  ``.quality``/``isDominantSeventh`` of all pitches sounding in the beat, what a music21 user gets
  from chordify per beat; where music21 names no triad quality, its root with major or minor by
  the third);
- melody: all tracks merged into one track, read with ``read_lead_sheet`` (it is then a lone
  piano, split by note; its melody is ``analysis.melody.pick_melody``), against the MELODY track:
  mir_eval.transcription onset-only note F1, 50 ms onset tolerance, pitch within 50 cents;
  baseline: a plain skyline (highest note at each onset cluster); averaged only over the songs the
  picker was not fitted on (its JSON lists them: 001-100 and the songs of 101-909 that are 0 or 1
  modulo 4, so ``--all`` scores the melody of the 404 songs of 101-909 that are 2 or 3 modulo 4);
- key: ours (Krumhansl-Schmuckler in numpy) and music21's ``analysis.discrete.KrumhanslSchmuckler``
  against ``key_audio.txt`` (its first key; extracted from the audio by the POP909 authors);
- time: reading the lead sheet (roles, split, chords, key) from a parsed Song, and the baselines.

    PYTHONPATH=$PWD nice -n 10 python benchmarks/leadsheet.py --n 100
"""
from __future__ import annotations

import argparse
import functools
import json
import platform
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

POP909 = Path(__file__).resolve().parents[1] / ".." / ".." / "shared" / "data" / "pop" / "pop909" / "POP909"
if not POP909.exists():
    POP909 = Path("/work/shared/data/pop/pop909/POP909")
OUT = Path(__file__).resolve().parents[1] / "docs" / "results"
GOALS = {"root": 0.80, "majmin": 0.70, "melody_f1": 0.80}


def reference_chords(k: int):
    """(intervals [n, 2] seconds, labels) of POP909 song ``k``."""
    import mir_eval

    return mir_eval.io.load_labeled_intervals(str(POP909 / f"{k:03d}" / "chord_midi.txt"), delimiter="\t")


def score_chords(song, chords, ref) -> dict:
    """mir_eval chord scores (root, majmin, sevenths, ...) of ``chords`` (quarters) against ``ref``."""
    import mir_eval

    ref_i, ref_l = ref
    if chords:
        est_i, est_l = [], []
        for c in chords:  # silences between chords are N (mir_eval would stretch the chord before)
            a, b = song.seconds([c.start, c.end])
            if est_i and a > est_i[-1][1] + 1e-9:
                est_i.append([est_i[-1][1], a])
                est_l.append("N")
            est_i.append([a, b])
            est_l.append(c.label)
        est_i = np.array(est_i)
    else:
        est_i, est_l = np.array([[ref_i.min(), ref_i.max()]]), ["N"]
    return mir_eval.chord.evaluate(ref_i, ref_l, est_i, est_l)


def melody_f1(song, reference, estimate) -> float:
    """Onset-only note F1 (mir_eval.transcription, 50 ms, 50 cents) of two tracks of ``song``."""
    import mir_eval

    def arrays(t):
        s, e = song.seconds(t.start), song.seconds(t.end)
        return np.stack([s, np.maximum(e, s + 1e-3)], 1), 440.0 * 2 ** ((t.pitch.astype(float) - 69) / 12)

    if estimate.n_notes == 0:
        return 0.0
    ri, rp = arrays(reference)
    ei, ep = arrays(estimate)
    return float(mir_eval.transcription.precision_recall_f1_overlap(
        ri, rp, ei, ep, onset_tolerance=0.05, offset_ratio=None)[2])


def merged_track(song):
    from midistyle.representation.song import Track

    ts = song.pitched
    return Track("all", 0, False, *(np.concatenate([getattr(t, f) for t in ts])
                                     for f in ("start", "end", "pitch", "velocity")))


def skyline(track):
    """Baseline: the highest note at each onset (notes within 0.08 quarters are one onset)."""
    from midistyle.analysis.roles import onset_clusters

    order, clusters = onset_clusters(track)
    keep = np.array([order[a] for a, _ in clusters], dtype=int)
    return track.replace_notes(track.start[keep], track.end[keep], track.pitch[keep], track.velocity[keep])


def music21_chords(song, step: float = 1.0):
    """Baseline: music21's chord root and quality of the pitches sounding in each beat."""
    from music21 import chord as m21chord

    from midistyle.analysis.chords import segment_chroma
    from midistyle.analysis.leadsheet import Chord
    from midistyle.representation.basics import note_name

    edges, chroma, _ = segment_chroma(song, step)
    tracks = song.pitched
    start = np.concatenate([t.start for t in tracks])
    end = np.concatenate([t.end for t in tracks])
    pitch = np.concatenate([t.pitch for t in tracks]).astype(int)
    names = {"major": "maj", "minor": "min", "diminished": "dim", "augmented": "aug"}
    out = []
    for i in range(edges.size - 1):
        a, b = edges[i], edges[i + 1]
        sounding = sorted(set(pitch[(start < b) & (end > a)].tolist()))
        if not sounding:
            continue
        c = m21chord.Chord([note_name(p) for p in sounding])  # names: music21 spells ints ~400x slower
        root = c.root().pitchClass
        quality = "7" if c.isDominantSeventh() else names.get(c.quality)
        if quality is None:  # music21 says "other": keep its root, major or minor by the third
            pcs = {p % 12 for p in sounding}
            quality = "min" if (root + 3) % 12 in pcs and (root + 4) % 12 not in pcs else "maj"
        if out and out[-1].end == a and (out[-1].root, out[-1].quality) == (root, quality):
            out[-1] = Chord(out[-1].start, float(b), root, quality)
        else:
            out.append(Chord(float(a), float(b), root, quality))
    return out


def music21_key(song) -> int:
    """Baseline: music21's Krumhansl-Schmuckler on a stream of the song's pitched notes."""
    from music21 import analysis, note, stream

    s = stream.Stream()
    for t in song.pitched:
        for a, e, p, _ in t.notes():
            n = note.Note(p)
            n.quarterLength = max(e - a, 1 / 16)
            s.insert(a, n)
    k = analysis.discrete.KrumhanslSchmuckler().getSolution(s)
    tonic = k.tonic.pitchClass
    return tonic + (12 if k.mode == "minor" else 0)


def reference_key(k: int) -> int | None:
    text = (POP909 / f"{k:03d}" / "key_audio.txt").read_text().split()
    if len(text) < 3 or ":" not in text[2]:
        return None
    import mir_eval

    root, quality = text[2].split(":")
    pc = mir_eval.chord.pitch_class_to_semitone(root)
    return pc % 12 + (12 if quality.startswith("min") else 0)


@functools.lru_cache(maxsize=1)
def picker_songs() -> frozenset[int]:
    """POP909 songs the melody picker was fitted on (never scored for the melody)."""
    from midistyle.analysis.melody import MODEL_PATH

    return frozenset(json.loads(MODEL_PATH.read_text())["trained_on"]["songs"])


def run_song(k: int, with_music21: bool) -> dict:
    from midistyle.analysis.chords import recognise_chords
    from midistyle.analysis.leadsheet import read_lead_sheet
    from midistyle.representation import read

    path = POP909 / f"{k:03d}" / f"{k:03d}.mid"
    t0 = time.perf_counter()
    song = read(path)
    t_read = time.perf_counter() - t0
    ref = reference_chords(k)
    row: dict = {"song": k, "seconds": round(song.duration_seconds(), 1), "read_s": t_read}
    t0 = time.perf_counter()
    sheet = read_lead_sheet(song)
    row["leadsheet_s"] = time.perf_counter() - t0
    sc = score_chords(song, sheet.chords, ref)
    row.update({f"chords_{m}": float(sc[m]) for m in ("root", "majmin", "sevenths")})
    mel = next(t for t in song.tracks if t.name.upper().startswith("MELODY"))
    merged = song.with_tracks([merged_track(song)])
    t0 = time.perf_counter()
    merged_sheet = read_lead_sheet(merged)
    row["merged_leadsheet_s"] = time.perf_counter() - t0
    row["merged_chords_root"] = float(score_chords(song, merged_sheet.chords, ref)["root"])
    row["melody_scored"] = k not in picker_songs()
    row["melody_f1"] = melody_f1(song, mel, merged_sheet.part("melody")[0]) if merged_sheet.part("melody") else 0.0
    t0 = time.perf_counter()
    sky = skyline(merged.tracks[0])
    row["skyline_s"] = time.perf_counter() - t0
    row["skyline_f1"] = melody_f1(song, mel, sky)
    row["roles"] = dict(zip([t.name for t in song.tracks], sheet.track_roles))
    row["key"], row["key_ref"] = sheet.key, reference_key(k)
    t0 = time.perf_counter()
    recognise_chords(song)
    row["chords_s"] = time.perf_counter() - t0
    if with_music21:
        t0 = time.perf_counter()
        m21 = music21_chords(song)
        row["music21_chords_s"] = time.perf_counter() - t0
        sc = score_chords(song, m21, ref)
        row.update({f"music21_{m}": float(sc[m]) for m in ("root", "majmin", "sevenths")})
        t0 = time.perf_counter()
        row["music21_key"] = music21_key(song)
        row["music21_key_s"] = time.perf_counter() - t0
    return row


def summarise(rows: list[dict]) -> dict:
    def mean(field):
        vals = [r[field] for r in rows if r.get(field) is not None]
        return float(np.mean(vals)) if vals else None

    def median(field):
        vals = [r[field] for r in rows if r.get(field) is not None]
        return float(np.median(vals)) if vals else None

    keyed = [r for r in rows if r["key_ref"] is not None]
    s = {"songs": len(rows)}
    for f in ("chords_root", "chords_majmin", "chords_sevenths", "merged_chords_root", "music21_root",
              "music21_majmin", "music21_sevenths"):
        s[f] = mean(f)
    melody = [r for r in rows if r.get("melody_scored", True)]  # not a song the picker was fitted on
    s["melody_songs"] = len(melody)
    for f in ("melody_f1", "skyline_f1"):
        s[f] = float(np.mean([r[f] for r in melody])) if melody else None
    for f in ("read_s", "leadsheet_s", "merged_leadsheet_s", "chords_s", "skyline_s", "music21_chords_s",
              "music21_key_s"):
        s[f + "_median"] = median(f)
    s["key_acc"] = float(np.mean([r["key"] == r["key_ref"] for r in keyed])) if keyed else None
    m21 = [r for r in keyed if "music21_key" in r]
    s["music21_key_acc"] = float(np.mean([r["music21_key"] == r["key_ref"] for r in m21])) if m21 else None
    s["key_agree_music21"] = float(np.mean([r["music21_key"] == r["key"] for r in m21])) if m21 else None
    s["melody_f1_ge_0.8"] = float(np.mean([r["melody_f1"] >= 0.8 for r in melody])) if melody else None
    s["melody_track_found"] = float(np.mean([r["roles"].get("MELODY") == "melody" for r in rows]))
    return s


def table(s: dict) -> str:
    def f(x, d=3):
        return "-" if x is None else f"{x:.{d}f}"

    def ratio(a, b):
        return "-" if a is None or b in (None, 0) else f"{a / b:.2f}x"

    lines = [
        "| measure | ours | baseline | ours / baseline | goal |",
        "|---|---|---|---|---|",
        f"| chords root (mir_eval, duration-weighted) | {f(s['chords_root'])} | {f(s['music21_root'])} (music21 per beat) "
        f"| {ratio(s['chords_root'], s['music21_root'])} | >= {GOALS['root']} |",
        f"| chords majmin | {f(s['chords_majmin'])} | {f(s['music21_majmin'])} | "
        f"{ratio(s['chords_majmin'], s['music21_majmin'])} | >= {GOALS['majmin']} |",
        f"| chords sevenths | {f(s['chords_sevenths'])} | {f(s['music21_sevenths'])} | "
        f"{ratio(s['chords_sevenths'], s['music21_sevenths'])} | |",
        f"| chords root, tracks merged first | {f(s['merged_chords_root'])} | | | |",
        f"| melody note F1 (onset 50 ms, tracks merged; the {s.get('melody_songs', s['songs'])} songs the picker "
        f"was not fitted on) | {f(s['melody_f1'])} | {f(s['skyline_f1'])} (plain skyline) | "
        f"{ratio(s['melody_f1'], s['skyline_f1'])} | >= {GOALS['melody_f1']} |",
        f"| songs with melody F1 >= 0.8 | {f(s['melody_f1_ge_0.8'])} | | | |",
        f"| tracks kept apart: the MELODY track gets the melody role | {f(s['melody_track_found'])} | | | |",
        f"| key = key_audio.txt | {f(s['key_acc'])} | {f(s['music21_key_acc'])} (music21 KS) | "
        f"{ratio(s['key_acc'], s['music21_key_acc'])} | |",
        f"| key agrees with music21's KS | {f(s['key_agree_music21'])} | | | |",
        f"| chords, s/song (median) | {f(s['chords_s_median'], 4)} | {f(s['music21_chords_s_median'], 4)} | "
        f"{ratio(s['chords_s_median'], s['music21_chords_s_median'])} | |",
        f"| key, s/song (median) | (in the chords) | {f(s['music21_key_s_median'], 4)} | | |",
        f"| whole lead sheet from a Song, s/song (median) | {f(s['leadsheet_s_median'], 4)} | | | |",
        f"| lead sheet of the merged track, s/song (median) | {f(s['merged_leadsheet_s_median'], 4)} | "
        f"{f(s['skyline_s_median'], 4)} (skyline) | | |",
        f"| MIDI read, s/song (median) | {f(s['read_s_median'], 4)} | | | |",
    ]
    return "\n".join(lines)


def goals(s: dict) -> str:
    """One line per goal: met or missed, with the number."""
    out = []
    for name, field in (("chord root", "chords_root"), ("chord majmin", "chords_majmin"),
                        ("melody note F1", "melody_f1")):
        goal = GOALS[field.replace("chords_", "")]
        out.append(f"- {name}: {s[field]:.3f} against a goal of {goal}: {'met' if s[field] >= goal else 'MISSED'}")
    return "\n".join(out)


def versions() -> dict:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for pkg in ("numpy", "symusic", "music21", "mir_eval"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # not installed
            out[pkg] = None
    return out


def write_docs(name: str, meta: dict, s: dict, rows: list[dict] | None) -> None:
    """docs/results/<name>.json (unless ``rows`` is None: report only) and <name>.md."""
    from midistyle.atomic import write_text

    OUT.mkdir(parents=True, exist_ok=True)
    if rows is not None:
        write_text(OUT / f"{name}.json", json.dumps({"meta": meta, "summary": s, "rows": rows}, indent=1))
    md = [f"# Lead-sheet reading on POP909 ({s['songs']} songs)", "",
          f"Date: {meta['date']}. Machine: {meta['machine']}. Versions: "
          + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".", "",
          f"Command: `{meta['command']}`", "", (__doc__ or "").split("\n\n    PYTHONPATH")[0], "",
          table(s), "", goals(s), "",
          "For times, ours / baseline below 1 means ours is faster. The melody baseline (a plain skyline) "
          "reads the same merged track.", "",
          "Timings are wall-clock on a machine shared with other jobs (load average 4 to 12 on 2 cores "
          "in these runs): compare the columns with each other, not with other runs. Chord weights and "
          "the melody picker (benchmarks/melody_fit.py) were fitted on songs 001-100, never scored here; the "
          "picker also on the songs of 101-909 that are 0 or 1 modulo 4, whose melody is not scored (their "
          "chords, key and roles are). The references "
          "are POP909's extracted annotations (chords by the authors' algorithm, key from the audio), not "
          "hand labels. The melody reading, what it loses and the training-song numbers: "
          "[log.md](log.md), 2026-12-07 entries.", ""]
    write_text(OUT / f"{name}.md", "\n".join(md))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100, help="songs drawn from 101-909 (seeded)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--all", action="store_true", help="every song from 101 to 909")
    ap.add_argument("--no-music21", action="store_true", help="skip the music21 baselines")
    ap.add_argument("--name", default="leadsheet", help="output stem in docs/results/")
    ap.add_argument("--report-only", action="store_true", help="rewrite <name>.md from <name>.json")
    args = ap.parse_args()
    if args.report_only:
        saved = json.loads((OUT / f"{args.name}.json").read_text())
        write_docs(args.name, saved["meta"], summarise(saved["rows"]), None)
        return
    pool = np.arange(101, 910)
    ids = pool if args.all else np.sort(np.random.default_rng(args.seed).choice(pool, args.n, replace=False))
    rows = []
    t0 = time.perf_counter()
    for i, k in enumerate(ids.tolist()):
        rows.append(run_song(k, not args.no_music21))
        if (i + 1) % 10 == 0:
            print(f"{i + 1}/{len(ids)} songs, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    s = summarise(rows)
    print(table(s))
    print(goals(s))
    command = "PYTHONPATH=$PWD nice -n 10 python benchmarks/leadsheet.py " + " ".join(sys.argv[1:])
    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "command": command,
            "machine": f"{platform.machine()}, {platform.processor() or platform.platform()}, "
                       f"2 shared cores", "versions": versions(), "songs": ids.tolist()}
    write_docs(args.name, meta, s, rows)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    main()
