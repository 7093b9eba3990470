"""The conditional GAN: G(noise, source phrase) judged against real target-genre phrases plus a content loss."""
from __future__ import annotations

from midistyle.config import TrainConfig
from midistyle.kinds.registry import GenreArg, Kind, register


def _task() -> type:
    from midistyle.training.gan import GANTask

    return GANTask


def _data(data_dir, cfg: TrainConfig, source, target):
    from midistyle.training.inputs import domains, unpaired

    return unpaired(data_dir, *domains(source, target), cfg)


KIND = register(Kind(
    name="gan", config=TrainConfig, modules=("G",), generators={"a2b": "G"},
    help="GAN: generator(noise z, source bars) judged against real target-genre bars, plus content loss.",
    task=_task, data=_data,
    args=(GenreArg("source", "Source genres, comma-separated, or 'rest' (all but target).", required=True,
                   rest_of="target"),
          GenreArg("target", "Target genres, comma-separated.", required=True, rest_of="source")),
))
