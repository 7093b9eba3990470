"""Arranger: keep a song's melody and chords, make its drums, bass and comping anew in a genre.

Trained supervised on a corpus prepared with ``content="arrangement"`` (each real song's lead sheet
in, its own drums, bass and comping out; see :mod:`midistyle.training.arranger`). It converts lead
sheets, not merged rolls, so it holds no generator for ``convert``'s roll path: :func:`arrange`
is its converter, and a genre profile (:mod:`midistyle.arrangement.profile`) gives the
instruments and feel. Importing this module loads no torch.
"""
from __future__ import annotations

import dataclasses
import os

from midistyle.config import TrainConfig, option
from midistyle.errors import ConfigError, ModelError
from midistyle.kinds.registry import GenreArg, Kind, register


@dataclasses.dataclass(frozen=True)
class ArrangerConfig(TrainConfig):
    """The shared settings plus the arranger's loss weighting."""

    pos_weight: float = option(8.0, "Weight of a note cell against a silent one in the cross-entropy "
                                     "(rolls are mostly silence).")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.pos_weight > 0:
            raise ConfigError(f"ArrangerConfig.pos_weight must be > 0, got {self.pos_weight!r}")
        if self.transpose:
            raise ConfigError("an arranger trains untransposed (its chord chroma and drum lanes do not shift)")


def _task() -> type:
    from midistyle.training.arranger import ArrangerTask

    return ArrangerTask


def _data(data_dir, cfg: ArrangerConfig, genres=None):
    """Genre-balanced arrangement phrases of ``genres`` (default: every genre of the corpus)."""
    from midistyle.data.dataset import ArrangementDataset, BalancedDataset
    from midistyle.training.inputs import corpus_genres, first_steps, genre_list, optional
    from midistyle.training.task import TaskInfo

    genres = genre_list(genres or corpus_genres(data_dir), "genres")
    found = ArrangementDataset(data_dir, genres, "train", phrase_steps=cfg.phrase_steps, seed=cfg.seed)
    train = BalancedDataset(found, found.labels, seed=cfg.seed)
    val = optional(lambda: ArrangementDataset(data_dir, genres, "val", phrase_steps=cfg.phrase_steps, seed=cfg.seed))
    info = TaskInfo(roll=found.roll_config, genres=tuple(found.genres), phrase_steps=first_steps(found, "planes"))
    return train, val, info


def arrange_parts(lead, genre: str, model: str | os.PathLike, *, threshold: float = 0.5, device: str = "cpu"):
    """The parts the arranger checkpoint ``model`` writes for the lead sheet ``lead`` in ``genre``:
    role -> tensor (``bass``/``comp`` ``[2, T, P]``, ``drums`` ``[T, L]``; cells above ``threshold``),
    for :func:`midistyle.arrangement.arrange.finish` to play in the genre's instruments and feel."""
    import torch

    from midistyle.arrangement.encode import encode
    from midistyle.arrangement.planes import to_planes
    from midistyle.models.checkpoint import load_checkpoint
    from midistyle.representation.drums import LANES
    from midistyle.training.arranger import genre_onehot, net_inputs

    modules, meta = load_checkpoint(model, device=device)
    if meta.kind != "arranger":
        raise ModelError(model, f"not an arranger checkpoint (kind {meta.kind!r})")
    if genre not in meta.genres:
        raise ModelError(model, f"this arranger knows {', '.join(meta.genres)}; not {genre}")
    arr = encode(lead, meta.roll)
    planes = torch.from_numpy(to_planes(arr)[None].astype("float32")).to(device)
    code = genre_onehot(torch.tensor([list(meta.genres).index(genre)], device=device), len(meta.genres))
    with torch.no_grad():
        prob = modules["G"](net_inputs(planes, meta.roll.low_pitch), code=code)[0].cpu().numpy()
    on = prob > threshold
    return {"bass": on[0:2], "comp": on[2:4], "drums": on[4][:, :len(LANES)]}, meta.roll


def arrange(lead, genre: str, model: str | os.PathLike, *, profile=None, threshold: float = 0.5,
            keep: tuple[str, ...] = (), device: str = "cpu", seed: int = 0):
    """The lead sheet ``lead`` arranged in ``genre`` by the arranger checkpoint ``model``: its parts
    (:func:`arrange_parts`) played as ``profile`` (a
    :class:`~midistyle.arrangement.profile.GenreProfile`; None: default programs, straight, every
    part) says, the source's melody, tempo map and meters kept (see
    :func:`midistyle.arrangement.arrange.finish` for ``keep``; ``seed``: the timing spread's draw)."""
    from midistyle.arrangement.arrange import finish

    parts, roll = arrange_parts(lead, genre, model, threshold=threshold, device=device)
    return finish(lead, parts, roll, profile, keep=keep, seed=seed)


KIND = register(Kind(
    name="arranger", config=ArrangerConfig, modules=("G",), generators={},
    help="Arranger: drums, bass and comping for a lead sheet in a genre, learned from real arrangements "
         "(a corpus prepared with content='arrangement'; midistyle.kinds.arranger.arrange converts).",
    task=_task, data=_data,
    args=(GenreArg("genres", "Comma-separated genres it arranges in (default: all of the corpus)."),),
    defaults={"lr": 1e-3},
    collapse_hint="raise --pos-weight so that note cells outweigh the silence around them",
))
