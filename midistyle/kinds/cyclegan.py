"""The CycleGAN (Brunner et al. 2018): G converts A -> B, F converts B -> A, with cycle consistency."""
from __future__ import annotations

from pathlib import Path

from midistyle.config import TrainConfig
from midistyle.errors import ModelError
from midistyle.kinds.registry import GenreArg, Kind, register


def _task() -> type:
    from midistyle.training.cyclegan import CycleGANTask

    return CycleGANTask


def _data(data_dir, cfg: TrainConfig, a, b, mixed_genres=None):
    """Unpaired A/B phrases; with ``mixed="full"`` training batches carry phrases of ``mixed_genres``
    (default: every genre of the corpus) for the extra discriminators."""
    from midistyle.training.inputs import corpus_genres, domains, genre_list, phrases, unpaired

    train, val, info = unpaired(data_dir, *domains(a, b), cfg)
    if cfg.mixed == "full":
        from midistyle.training.cyclegan import WithMixed

        pool = genre_list(mixed_genres or corpus_genres(data_dir), "mixed_genres")
        # validation judges G and F against D_A/D_B only, so only training batches carry mixed phrases
        train = WithMixed(train, phrases(data_dir, pool, "train", cfg), seed=cfg.seed)
    return train, val, info


def _select(kind: Kind, meta, to: str | None, path: Path):
    """G converts into the target domain, F back into the source domain: ``to`` picks one."""
    direction = "b2a" if to not in meta.target and to in meta.source else "a2b"
    if to is not None and meta.target and to not in meta.target and direction == "a2b":
        raise ModelError(path, f"this model converts to {meta.target_name} (G) and {'+'.join(meta.source)} (F), "
                               f"not {to}")
    return direction, meta.reversed() if direction == "b2a" else meta


KIND = register(Kind(
    name="cyclegan", config=TrainConfig, modules=("G", "F"), generators={"a2b": "G", "b2a": "F"},
    help="CycleGAN G: A->B and F: B->A with cycle-consistency (Brunner et al. 2018).",
    task=_task, data=_data, select=_select,
    args=(GenreArg("a", "Domain A genres, comma-separated, or 'rest' (all but B).", required=True, rest_of="b"),
          GenreArg("b", "Domain B genres, comma-separated, or 'rest'.", required=True, rest_of="a")),
    collapse_hint="train longer, or on a GPU with --preset brunner; `train gan` learned where this did not",
))
