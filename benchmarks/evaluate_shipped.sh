#!/usr/bin/env bash
# Evaluate every shipped generator on held-out songs of a prepared corpus:
# sources = 2 validation-split MIDI files from each other genre, real target music = 8 of the target.
#   benchmarks/evaluate_shipped.sh [PREPARED_DIR] [OUT_DIR]
set -u
cd "$(dirname "$0")/.."
PREP=${1:-prepared}
OUT=${2:-eval-shipped}
MS=${MS:-.venv/bin/midistyle}
if [ ! -f "$PREP/index.json" ]; then echo "no prepared corpus at $PREP: run midistyle prepare first"; exit 0; fi
mkdir -p "$OUT"
.venv/bin/python - "$PREP" "$OUT" <<'PY'
import json, os, random, sys
prep, out = sys.argv[1], sys.argv[2]
index = json.load(open(os.path.join(prep, "index.json")))
rng = random.Random(0)
picked = {}
for g in index["genres"]:
    files = sorted({p["path"] for p in index["pieces"] if p["genre"] == g and p["split"] == "val" and p["kind"] == "midi"})
    rng.shuffle(files)
    picked[g] = files[:8]
for g in index["genres"]:
    real = os.path.join(out, f"real_{g}")
    os.makedirs(real, exist_ok=True)
    for i, f in enumerate(picked[g]):
        link = os.path.join(real, f"{i}_{os.path.basename(f)}")
        if not os.path.lexists(link):
            os.symlink(os.path.abspath(f), link)
    with open(os.path.join(out, f"sources_{g}.txt"), "w") as fh:
        fh.write("\n".join(f for h, fs in picked.items() if h != g for f in fs[:2]))
PY
for g in jazz classical pop folk rock; do
    mapfile -t SRC < "$OUT/sources_$g.txt"
    $MS evaluate "${SRC[@]}" --to "$g" --target-data "$OUT/real_$g" -o "$OUT/report_$g" --force | tail -1
done
