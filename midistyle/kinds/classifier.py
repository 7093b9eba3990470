"""The genre classifier: a CNN over piano-roll phrases that names their genre (checkpoint module C)."""
from __future__ import annotations

from midistyle.config import TrainConfig
from midistyle.kinds.registry import GenreArg, Kind, register


def _task() -> type:
    from midistyle.training.classifier import ClassifierTask

    return ClassifierTask


def _data(data_dir, cfg: TrainConfig, genres=None):
    """Phrases of ``genres`` (default: every genre of the corpus, as a StarGAN's), labelled in that
    order (= logit order)."""
    from midistyle.training.inputs import corpus_genres, first_steps, genre_list, optional, phrases
    from midistyle.training.task import TaskInfo

    genres = genre_list(corpus_genres(data_dir) if genres is None else genres, "genres")
    train = phrases(data_dir, genres, "train", cfg)
    val = optional(lambda: phrases(data_dir, genres, "val", cfg))
    return train, val, TaskInfo(roll=train.roll_config, genres=tuple(train.genres),
                                phrase_steps=first_steps(train, "roll"))


KIND = register(Kind(
    name="classifier", config=TrainConfig, modules=("C",), generators={},
    help="Genre classifier: measures how well a transfer worked and detects source genres.",
    task=_task, data=_data,
    args=(GenreArg("genres", "Comma-separated classes (default: every genre of the corpus)."),),
))
