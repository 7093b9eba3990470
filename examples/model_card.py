"""The model card's table of shipped models, generated from the checkpoints and the committed results.

    python examples/model_card.py            # rewrite the generated block of midistyle/pretrained/README.md
    python examples/model_card.py --check    # exit 1 when the block is out of date (a test runs this)
    python examples/model_card.py --print    # print the table only

Each row comes from a checkpoint's ``config.json`` (kind, grid, genres, step, preset, settings,
provenance) and its ``model.safetensors`` header (parameter count, read without torch); the ship-bar
columns come from ``examples/results/ship_bar.json`` (one entry per folder, with the date and the
command that measured it). Only the block between the two markers is written:

    <!-- generated: model table -->
    ...
    <!-- /generated -->
"""
from __future__ import annotations

import argparse
import json
import math
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRETRAINED = ROOT / "midistyle" / "pretrained"
RESULTS = ROOT / "examples" / "results" / "ship_bar.json"
CARD = PRETRAINED / "README.md"
BEGIN, END = "<!-- generated: model table -->", "<!-- /generated -->"
# settings worth a reader's eye, when they differ from the shared defaults (name as the CLI spells it)
SHOWN = {"lambda_content": "content weight", "focus": "focus", "phrase_steps": "phrase steps",
         "input_skip": "input skip", "edit_margin": "edit margin", "density_band": "density band",
         "d_binary": "binary D", "seed": "seed"}


def parameters(weights: Path) -> int:
    """Number of values in a safetensors file, from its JSON header alone."""
    with open(weights, "rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(size))
    return sum(math.prod(v["shape"]) for k, v in header.items() if k != "__metadata__")


def _count(n: int) -> str:
    return f"{n / 1e6:.2f} M" if n >= 1e5 else f"{n / 1e3:.0f} k"


def _settings(train: dict, generator: bool) -> str:
    """The SHOWN settings that are set (the content weight of a generator always)."""
    shown = []
    for key, label in SHOWN.items():
        value = train.get(key)
        if key == "lambda_content" and not generator:
            continue
        if value is True:
            shown.append(label)
        elif key in ("seed", "lambda_content") or value not in (None, False, [], 0, -1):
            shown.append(f"{label} {','.join(value) if isinstance(value, list) else value}")
    return ", ".join(shown)


def _provenance(prov: dict) -> str:
    if not prov:
        return "not recorded (trained before 0.2.0)"
    rev = str(prov.get("git_revision", "unknown"))[:10]
    wall = prov.get("wall_time_s")
    minutes = f", {wall / 60:.0f} min" if isinstance(wall, (int, float)) else ""
    return f"{prov.get('device', '?')} {prov.get('precision', '')}{minutes}, rev {rev}, corpus " \
           f"{str(prov.get('index_sha256') or '?')[:12]}"


def rows(pretrained: Path = PRETRAINED, results: Path | None = RESULTS) -> list[list[str]]:
    """One row per checkpoint folder (the style judge, not a model kind's checkpoint, is left out)."""
    bar = json.loads(results.read_text(encoding="utf-8"))["models"] if results and results.is_file() else {}
    out = []
    for config in sorted(pretrained.glob("*/config.json")):
        meta = json.loads(config.read_text(encoding="utf-8"))
        if "kind" not in meta or "modules" not in meta:
            continue
        folder, train = config.parent.name, meta.get("train") or {}
        what = (f"{'+'.join(meta.get('source') or ['any'])} -> {'+'.join(meta.get('target') or [])}"
                if meta.get("target") else ", ".join(meta.get("genres") or []))
        nets = ", ".join(f"{n}: {c.get('base_channels')} ch x {c.get('n_res_blocks')} res"
                         if c.get("kind") == "generator" else f"{n}: {c.get('base_channels')} ch"
                         for n, c in sorted(meta["modules"].items()))
        result = bar.get(folder, {})
        judged = "" if "judged_target" not in result else f"{result['judged_target']:.0%}"
        f1 = "" if "onset_f1" not in result else f"{result['onset_f1']:.2f}"
        out.append([f"`{folder}`", meta["kind"], what, f"{meta['roll']['steps_per_beat']}", nets,
                    _count(parameters(config.parent / "model.safetensors")),
                    f"{train.get('preset', '?')}, {meta.get('step', 0):,} steps, "
                    f"batch {train.get('batch_size', '?')}",
                    _settings(train, bool(meta.get("target"))), _provenance(meta.get("provenance") or {}), judged, f1,
                    result.get("bar", ""), result.get("date", "")])
    return out


HEADER = ["folder", "kind", "converts / classes", "steps per quarter", "networks", "parameters", "trained",
          "settings", "provenance", "judged target", "onset F1", "ship bar", "measured"]


def table(pretrained: Path = PRETRAINED, results: Path | None = RESULTS) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in rows(pretrained, results)]
    source = f"`{results.relative_to(ROOT)}`" if results and results.is_file() and results.is_relative_to(ROOT) \
        else "no results file"
    return (f"{BEGIN}\n<!-- written by examples/model_card.py from each folder's config.json and {source}; "
            f"edit those, then rerun it -->\n\n" + "\n".join(lines) + f"\n\n{END}")


def splice(card: str, block: str) -> str:
    """``card`` with its generated block replaced by ``block`` (appended when it has none)."""
    if BEGIN in card and END in card:
        head, rest = card.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    return card.rstrip("\n") + "\n\n" + block + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 when the card's block is out of date")
    ap.add_argument("--print", dest="show", action="store_true", help="print the block instead of writing it")
    ap.add_argument("--card", type=Path, default=CARD)
    ap.add_argument("--pretrained", type=Path, default=PRETRAINED)
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    block = table(args.pretrained, args.results)
    if args.show:
        print(block)
        return 0
    card = args.card.read_text(encoding="utf-8")
    new = splice(card, block)
    if args.check:
        if new != card:
            print(f"{args.card}: the generated model table is out of date; run python examples/model_card.py",
                  file=sys.stderr)
            return 1
        return 0
    if new != card:
        tmp = args.card.with_name(args.card.name + ".tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(args.card)
    print(f"wrote the model table of {args.card}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
