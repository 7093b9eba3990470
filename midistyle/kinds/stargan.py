"""StarGAN (Choi et al. 2018): one generator converts any genre into any other, chosen by a code.

Its config adds the StarGAN-only settings to the shared :class:`~midistyle.config.TrainConfig`; its
converter hook picks the code ``[one-hot target, one-hot source or uniform]`` for ``--to``/``--from``.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from midistyle.config import AUX_HEADS, DENSITY_TARGETS, TrainConfig, check_stargan_options, option
from midistyle.errors import ConfigError, ModelError
from midistyle.kinds.registry import GenreArg, Kind, register



@dataclasses.dataclass(frozen=True)
class StarGANConfig(TrainConfig):
    """The shared settings plus StarGAN's: genre loss of D's auxiliary head (on reals for D, on outputs
    for G), identity G(x, own genre) ~ x, and note-count matching to the source per bar (onsets and
    sounding cells counted after thresholding, with a straight-through gradient: silence cannot win it)."""

    lambda_cls: float = option(1.0, "Weight of the genre loss of D's auxiliary head.", flag="cls-weight")
    lambda_identity: float = option(5.0, "Weight of G(x, own genre) ~ x.", flag="identity-weight")
    lambda_density: float = option(5.0, "Weight of the per-bar note-count match to the source.",
                                   flag="density-weight")
    # "genre": the source's count times the target genre's mean count over the source genre's, clamped
    # to [1/3, 3], means kept from the real phrases seen in training (folk has a third of rock's notes)
    density_target: str = option("source", "Match the note count per bar to the source's (source) or to the "
                                           "source's times the target genre's mean over the source genre's "
                                           "(genre; within 1/3x-3x).", choices=DENSITY_TARGETS)
    density_band: int = option(0, "Count notes per band of this many pitches too (12: per octave), so sound "
                                   "cannot move between registers (0: the whole range).")
    unknown_source: float = option(0.3, "Share of items trained without a source code (convert without --from).")
    input_skip: float = option(0.0, "> 0: G edits its input, sigmoid(logits + s * (2x - 1)); an untrained G "
                                    "copies it (ModelConfig.input_skip).")
    edit_margin: int = option(-1, "With input_skip: G writes only within the input's pitch span +- this many "
                                  "semitones (-1: anywhere).")
    # G reads the reduction of its input (ModelConfig.reduce_beat = the roll's steps per beat), so its
    # identity loss teaches it to rebuild each genre's texture from the song's bare outline
    reduce_input: bool = option(False, "G reads its input's reduction (melody kept, other notes as blocks on the "
                                       "beats) and learns to rebuild each genre's texture from it.")
    focus: tuple[str, ...] = option((), "Target genres to train for, comma-separated (default: every genre); "
                                        "convert then refuses the others.")
    aux_head: str = option("shared", "D's genre head: on the real/fake trunk's features (shared) or a genre "
                                     "classifier of its own (classifier).", choices=AUX_HEADS)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_stargan_options("StarGANConfig", self.aux_head, self.input_skip, self.edit_margin)
        for key in ("lambda_cls", "lambda_identity", "lambda_density"):
            if getattr(self, key) < 0:
                raise ConfigError(f"StarGANConfig.{key} must be >= 0, got {getattr(self, key)}")
        if self.density_target not in DENSITY_TARGETS:
            raise ConfigError(f"unknown StarGANConfig.density_target {self.density_target!r}; "
                              f"valid: {list(DENSITY_TARGETS)}")
        if not isinstance(self.density_band, int) or isinstance(self.density_band, bool) or self.density_band < 0:
            raise ConfigError(f"StarGANConfig.density_band must be an integer >= 0, got {self.density_band!r}")
        if not 0 <= self.unknown_source <= 1:
            raise ConfigError(f"StarGANConfig.unknown_source must lie in [0, 1], got {self.unknown_source}")


def _task() -> type:
    from midistyle.training.stargan import StarGANTask

    return StarGANTask


def _data(data_dir, cfg: StarGANConfig, genres=None):
    """Genre-balanced phrases of ``genres`` (default: every genre of the corpus; their order is the code's)."""
    from midistyle.data.dataset import BalancedDataset
    from midistyle.training.inputs import corpus_genres, first_steps, genre_list, optional, phrases
    from midistyle.training.task import TaskInfo

    genres = genre_list(genres or corpus_genres(data_dir), "genres")
    if len(genres) < 2:
        raise ConfigError(f"a stargan needs at least 2 genres, got {genres}")
    found = phrases(data_dir, genres, "train", cfg)
    train = BalancedDataset(found, found.labels, seed=cfg.seed)
    val = optional(lambda: phrases(data_dir, genres, "val", cfg))
    # a focused run converts into its focus genres only: its checkpoint says so (convert refuses others)
    info = TaskInfo(roll=found.roll_config, genres=tuple(found.genres), target=tuple(cfg.focus),
                    phrase_steps=first_steps(found, "roll"))
    return train, val, info


def _select(kind: Kind, meta, to: str | None, path: Path):
    """One generator for every pair: ``to`` (and ``--from``) pick its code."""
    if to not in meta.genres:
        raise ModelError(path, f"this model converts between {', '.join(meta.genres)}; --to {to} is not one")
    if meta.target and to not in meta.target:
        raise ModelError(path, f"this model was trained to convert into {meta.target_name}, not {to}")
    return "a2b", dataclasses.replace(meta, target=(to,), source=tuple(g for g in meta.genres if g != to))


def _condition(meta, n: int, from_genre: str | None, device):
    """The code for ``n`` windows into ``meta``'s target: one-hot target, one-hot ``from_genre`` or
    uniform when the source genre is not given."""
    import torch

    from midistyle.models.generator import genre_code

    genres = list(meta.genres)
    if from_genre is not None and from_genre not in genres:
        raise ConfigError(f"--from {from_genre!r}: this model converts between {', '.join(genres)}")
    target = torch.full((n,), genres.index(meta.target_name), dtype=torch.int64)
    source = None if from_genre is None else torch.full((n,), genres.index(from_genre), dtype=torch.int64)
    return genre_code(target, source, len(genres)).to(device)


KIND = register(Kind(
    name="stargan", config=StarGANConfig, modules=("G",), generators={"a2b": "G"},
    help="StarGAN: one generator converts any genre into any other (convert --model RUN/best --to G [--from G]).",
    task=_task, data=_data, select=_select, condition=_condition,
    args=(GenreArg("genres", "Comma-separated genres it converts between (default: all of the corpus)."),),
    # a light content pull, weaker discriminator input noise so D's genre head still sees the music,
    # and the record that G trains against that head (evaluate reports it)
    defaults={"lambda_content": 1.0, "d_input_noise": 0.3, "genre_loss": "aux"},
))
