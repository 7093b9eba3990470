"""Prepare the arrangement corpus of examples/arrangement_data.toml and write each genre's
profile and retrieval bank.

    python examples/prepare_arrangements.py [--data ../shared/data] [--out runs/arrangements]
        [--assets runs/arrangement_assets] [--workers N] [--prepare-only]

Resumable (prepare caches every piece). Prints prepare's report; the assets folder then holds
<genre>/profile.json, bank.json and bank.safetensors for every genre of the recipe. The shipped
assets (midistyle/pretrained/arrangement) are its five genres but country:
`midistyle train bank --data runs/arrangements -o midistyle/pretrained/arrangement
--genres jazz,classical,pop,folk,rock --max-bars 1500`.
"""
from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import numpy as np

from midistyle.config import RollConfig
from midistyle.data.banks import write_genre_assets
from midistyle.data.corpus import prepare
from midistyle.representation.files import music_files

HERE = Path(__file__).resolve().parent


def drawn(data: Path, spec: dict, seed: int) -> list[Path]:
    files = sorted(f for folder in spec["folders"] for f in music_files(data / folder))
    if len(files) > spec["files"]:
        keep = np.random.default_rng(seed).choice(len(files), spec["files"], replace=False)
        files = [files[i] for i in sorted(keep)]
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", type=Path, default=HERE / "arrangement_data.toml")
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=Path("runs/arrangements"))
    ap.add_argument("--assets", type=Path, default=Path("runs/arrangement_assets"))
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--max-bars", type=int, default=1500, help="real bars kept per genre (the shipped assets: 1,500)")
    ap.add_argument("--prepare-only", action="store_true",
                    help="only prepare the corpus (examples/train_arrangement.sh banks it with `train bank`)")
    args = ap.parse_args()
    recipe = tomllib.loads(args.recipe.read_text())
    sources = {g: drawn(args.data, spec, recipe["seed"]) for g, spec in recipe["genres"].items()}
    report = prepare(sources, args.out, cfg=RollConfig(steps_per_beat=recipe["steps_per_beat"]),
                     workers=args.workers, content="arrangement")
    print(report)
    if args.prepare_only:
        return
    for genre, folder in write_genre_assets(args.out, args.assets, max_bars=args.max_bars).items():
        print(f"{genre}: {folder}")


if __name__ == "__main__":
    main()
