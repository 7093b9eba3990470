"""Genre profiles of the corpus folders, and the swing ratio of Groove MIDI beats per style.

For each folder: files, songs read as lead sheets and encoded, CPU seconds per song, and the
learned profile (top GM programs per role, drums, comp polyphony, swing), saved as JSON beside the
table. Then the 8th-pair swing ratio of every Groove MIDI beat (``beat_type=beat``) whose grid is
reliable, per style label: a check of the swing measurement on human drumming.

    PYTHONPATH=$PWD nice -n 10 python benchmarks/arrangement_profiles.py --out /tmp/profiles
"""
from __future__ import annotations

import argparse
import collections
import csv
import time
import warnings
from pathlib import Path

import numpy as np

DATA = Path("/work/shared/data")
FOLDERS = [("rock", "rock/freemidi_via_rp-bot_Ultimate-MIDI-Scraper", None),
           ("country", "country/freemidi_via_rp-bot_Ultimate-MIDI-Scraper", None),
           ("pop_freemidi", "pop/freemidi_via_rp-bot_Ultimate-MIDI-Scraper", None),
           ("pop909", "pop/pop909", 200),
           ("jazz_mckenzie", "jazz/doug_mckenzie_via_EricElmoznino_MusicGenerator", None),
           ("jazz_pijama", "jazz/pijama_transcriptions", 150),
           ("jazz_wjazzd", "jazz/wjazzd_v1.2_solos", None),
           ("folk_nottingham", "folk/nottingham", None),
           ("classical_asap", "classical/asap", None),
           ("drums_groove", "drums/groove_midi", None)]


def reader(path: str):
    from midistyle.analysis.leadsheet import read_lead_sheet
    from midistyle.representation import read

    return read_lead_sheet(read(path, require_pitched=False))


def top(profile, role: str, k: int = 2) -> str:
    entry = profile.roles.get(role)
    if not entry or not entry["programs"]:
        return "-"
    best = sorted(entry["programs"].items(), key=lambda kv: -kv[1])[:k]
    return " ".join(f"{p} ({w:.0%})" for p, w in best)


def row(name: str, run: dict, p) -> str:
    b, c, d = (p.roles.get(r) for r in ("bass", "comp", "drums"))
    lanes = ", ".join(f"{k} {v:.0%}" for k, v in sorted((d or {}).get("lanes", {}).items(), key=lambda kv: -kv[1])[:3])
    f = p.feel
    swing = (f"{p.swing} ({f.get('q1')}-{f.get('q3')}), {f.get('swung_share', 0):.0%}, {f['measured_songs']}"
             if p.swing is not None else f"none ({f['reliable_songs']} reliable)")
    drums = f"{d['share']:.2f}, {d['hits_per_bar']}, {lanes}" if d else "0"
    return (f"| {name} | {run['files']} | {run['songs']} | {run['cpu_s'] / max(run['files'], 1):.3f} | "
            f"{top(p, 'melody')} | {b['share'] if b else 0:.2f}, {top(p, 'bass')} | "
            f"{top(p, 'comp')}, {c['polyphony'] if c else '-'} | {drums} | {swing} |")


def groove_swing() -> list[str]:
    from midistyle.arrangement.encode import lead_voices
    from midistyle.arrangement.feel import RELIABLE_ON_BEAT, on_beat_share, swing_ratio
    from midistyle.representation import read

    root = DATA / "drums" / "groove_midi"
    by = collections.defaultdict(list)
    with open(root / "info.csv", newline="") as f:
        for info in csv.DictReader(f):
            if info["beat_type"] != "beat":
                continue
            lead = reader(str(root / info["midi_filename"]))
            onsets = np.concatenate([t.start for t in lead.song.tracks])
            ok = on_beat_share(onsets) >= RELIABLE_ON_BEAT
            by[info["style"].split("/")[0]].append(swing_ratio(lead_voices(lead)) if ok else None)
    lines = ["| style | beats | measured | median ratio | swung (> 0.58) |", "|---|---|---|---|---|"]
    for style, ratios in sorted(by.items(), key=lambda kv: -len(kv[1])):
        m = np.array([r for r in ratios if r is not None])
        if m.size:
            lines.append(f"| {style} | {len(ratios)} | {m.size} | {np.median(m):.3f} | {np.mean(m > 0.58):.0%} |")
    return lines


def main() -> None:
    from midistyle.arrangement.profile import profile_folder, save_profile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for the profiles and the tables")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")
    lines = ["| folder | files | read+encoded | CPU s/song | melody (top GM) | bass: share, top GM | "
             "comp: top GM, polyphony | drums: share, hits/bar, top lanes | swing: median (q1-q3), swung share, "
             "songs measured |", "|---|---|---|---|---|---|---|---|---|"]
    for name, rel, limit in FOLDERS:
        cpu = time.process_time()
        profile, report = profile_folder(DATA / rel, name, reader=reader, limit=limit)
        save_profile(profile, args.out / f"{name}.json")
        run = {"files": report["files"], "songs": report["songs"], "cpu_s": time.process_time() - cpu}
        lines.append(row(name, run, profile))
        print(lines[-1], flush=True)
    lines += [""] + groove_swing()
    (args.out / "profiles.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
