"""Genre-classifier accuracy on the validation split of a prepared corpus (the whole split).

    python benchmarks/classifier.py --data prepared --model midistyle/pretrained/classifier [--pairs]

Prints 5-genre phrase accuracy, per-genre recall, the confusion matrix, and pairwise accuracies
(jazz/classical, classical/pop, jazz/pop: the 5-way model restricted to the two classes, on phrases
of those two genres) next to Brunner et al. 2018's 88.9% / 84.7% / 67.1%.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

BRUNNER = {("jazz", "classical"): 88.9, ("classical", "pop"): 84.7, ("jazz", "pop"): 67.1}


def predict(model, data, batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    logits, labels = [], []
    with torch.inference_mode():
        for a in range(0, len(data), batch):
            items = [data[i] for i in range(a, min(a + batch, len(data)))]
            x = torch.stack([it["roll"] for it in items])
            logits.append(model(x).float().numpy())
            labels.append(np.array([int(it["label"]) for it in items]))
    return np.concatenate(logits), np.concatenate(labels)


def main() -> None:
    from midistyle.data.dataset import PhraseDataset
    from midistyle.models.checkpoint import load_classifier

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--model", type=Path, default=Path(__file__).resolve().parents[1] / "midistyle/pretrained/classifier")
    args = ap.parse_args()
    if not (args.data / "index.json").exists():
        print(f"no prepared corpus at {args.data}: run `midistyle prepare` first")
        sys.exit(0)
    torch.set_num_threads(2)
    model, meta = load_classifier(args.model)
    genres = list(meta.genres)
    data = PhraseDataset(args.data, genres, "val")
    logits, labels = predict(model, data)
    pred = logits.argmax(1)
    print(f"\n{args.model}: {len(labels)} validation phrases, {len(genres)} genres\n")
    print(f"phrase accuracy {100 * (pred == labels).mean():.1f}%  (balanced: "
          f"{100 * np.mean([(pred[labels == i] == i).mean() for i in range(len(genres))]):.1f}%)\n")
    print("confusion (rows: true, columns: predicted, % of row)")
    print(f"{'':<11}" + "".join(f"{g:>10}" for g in genres))
    for i, g in enumerate(genres):
        row = np.bincount(pred[labels == i], minlength=len(genres)) / max((labels == i).sum(), 1)
        print(f"{g:<11}" + "".join(f"{100 * v:>10.1f}" for v in row))
    print(f"\n{'pair':<20}{'phrases':>9}{'accuracy':>10}{'Brunner et al.':>16}")
    for (a, b), ref in BRUNNER.items():
        if a not in genres or b not in genres:
            continue
        ia, ib = genres.index(a), genres.index(b)
        m = (labels == ia) | (labels == ib)
        two = np.where(logits[m][:, ia] >= logits[m][:, ib], ia, ib)
        # balanced over the two genres, as the classes differ in size
        acc = np.mean([(two[labels[m] == c] == c).mean() for c in (ia, ib)])
        print(f"{a + '/' + b:<20}{m.sum():>9}{100 * acc:>9.1f}%{ref:>15.1f}%")


if __name__ == "__main__":
    main()
