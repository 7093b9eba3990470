"""Frozen, JSON-serialisable configs. Every checkpoint and prepared corpus stores the ones it used."""
from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from typing import Any, Mapping, TypeVar

from .errors import ConfigError

T = TypeVar("T")


def to_dict(cfg: Any) -> dict:
    """A config dataclass as a plain dict (tuples become lists)."""
    return dataclasses.asdict(cfg, dict_factory=lambda items: {k: _plain(v) for k, v in items})


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, (tuple, list)) else value


def from_dict(cls: type[T], data: dict) -> T:
    """Build ``cls`` from ``data``; unknown keys raise ConfigError (a ValueError) naming them and the valid ones."""
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} field(s) {unknown}; valid: {sorted(names)}")
    kwargs = {}
    for key, value in data.items():
        default = names[key].default
        kwargs[key] = tuple(value) if isinstance(value, list) and isinstance(default, tuple) else value
    return cls(**kwargs)


def dumps(cfg: Any) -> str:
    return json.dumps(to_dict(cfg), indent=2, sort_keys=True)


@dataclasses.dataclass(frozen=True)
class RollConfig:
    """The grid: ``steps_per_beat`` steps per quarter note, pitches ``low_pitch``..``high_pitch`` inclusive.

    The defaults (4 steps per quarter = 16 per 4/4 bar, MIDI 24-107 = 84 pitches) follow Brunner et al. 2018.
    """

    steps_per_beat: int = 4
    low_pitch: int = 24
    high_pitch: int = 107

    def __post_init__(self) -> None:
        if not isinstance(self.steps_per_beat, int) or not 1 <= self.steps_per_beat <= 96:
            raise ConfigError(f"steps_per_beat must be an integer in 1..96, got {self.steps_per_beat!r}")
        if not 0 <= self.low_pitch <= self.high_pitch <= 127:
            raise ConfigError(f"need 0 <= low_pitch <= high_pitch <= 127, got {self.low_pitch}..{self.high_pitch}")

    @property
    def n_pitches(self) -> int:
        return self.high_pitch - self.low_pitch + 1


# --------------------------------------------------------------------------- models and training

MODEL_KINDS = ("generator", "discriminator", "classifier")
NORMS = ("instance", "batch", "none")
AUX_HEADS = ("shared", "classifier")
MIXED_MODES = ("none", "partial", "full")
GENRE_LOSSES = ("none", "cnn", "aux")  # which classifier, if any, a generator trained against
CYCLE_LOSSES = ("l1", "mse", "bce")
DENSITY_TARGETS = ("source", "genre")  # StarGAN: the note count per bar the output is matched to


def check_stargan_options(cls_name: str, aux_head: str, input_skip: float, edit_margin: int) -> None:
    """The StarGAN options its TrainConfig carries into its networks' ModelConfigs, checked alike in both."""
    if aux_head not in AUX_HEADS:
        raise ConfigError(f"unknown aux head {aux_head!r}; valid: {list(AUX_HEADS)}")
    if input_skip < 0:
        raise ConfigError(f"{cls_name}.input_skip must be >= 0, got {input_skip!r}")
    if not isinstance(edit_margin, int) or isinstance(edit_margin, bool) or edit_margin < -1:
        raise ConfigError(f"{cls_name}.edit_margin must be an integer >= -1, got {edit_margin!r}")


def check_positive(cls_name: str, **values: int | float) -> None:
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{cls_name}.{key} must be a positive number, got {value!r}")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture of one network; stored in every checkpoint beside its weights.

    ``kind`` picks the builder in :mod:`midistyle.models.registry`. Fields a kind does not use are
    ignored by it (``n_res_blocks``/``z_dim`` by discriminators, ``n_classes``/``n_pitches`` by
    generators). Defaults are Brunner et al. 2018 (CycleGAN-Music-Style-Transfer): ngf = ndf = 64,
    10 residual blocks, 7x7 kernels, instance norm.
    """

    kind: str = "generator"
    in_channels: int = 2
    out_channels: int = 2  # generator output planes (onset, sustain)
    base_channels: int = 64
    n_res_blocks: int = 10
    z_dim: int = 0  # generator noise size; 0 = deterministic (CycleGAN), 100 for the GAN preset
    norm: str = "instance"
    kernel_size: int = 7  # generator stem/head and discriminator kernels
    n_classes: int = 2  # classifier outputs
    n_pitches: int = 84  # classifier: pitch rows it was built for (octave-wide first filters)
    cond_dim: int = 0  # generator: size of the conditioning code (StarGAN: target + source genre); 0 = none
    aux_classes: int = 0  # discriminator: classes of an auxiliary genre head (StarGAN); 0 = none
    # discriminator: "shared" = the genre head reads the real/fake trunk's features (Choi et al.);
    # "classifier" = it is a genre classifier of its own (the Classifier architecture) on the input
    aux_head: str = "shared"
    # generator: > 0 makes it edit its input, out = sigmoid(head + input_skip * (2 x - 1)), so an
    # untrained one already returns (a soft copy of) its input; 0 = Brunner et al.'s plain head
    input_skip: float = 0.0
    # generator with input_skip: >= 0 keeps its output within the input's pitch span widened by this
    # many semitones (per item: no notes far above or below the music); -1 = anywhere
    edit_margin: int = -1
    # generator: > 0 reads the reduction of its input (midistyle.models.reduction: the top line kept,
    # the other notes as blocks on beats of this many steps) instead of the input; 0 = the input
    reduce_beat: int = 0

    def __post_init__(self) -> None:
        if self.kind not in MODEL_KINDS:
            raise ConfigError(f"unknown model kind {self.kind!r}; valid: {list(MODEL_KINDS)}")
        check_stargan_options("ModelConfig", self.aux_head, self.input_skip, self.edit_margin)
        if self.input_skip and self.in_channels != self.out_channels:
            raise ConfigError(f"ModelConfig.input_skip needs in_channels == out_channels, got {self.in_channels} "
                              f"and {self.out_channels}")
        if self.norm not in NORMS:
            raise ConfigError(f"unknown norm {self.norm!r}; valid: {list(NORMS)}")
        check_positive("ModelConfig", in_channels=self.in_channels, out_channels=self.out_channels,
                        base_channels=self.base_channels, kernel_size=self.kernel_size,
                        n_pitches=self.n_pitches)
        if not isinstance(self.n_res_blocks, int) or self.n_res_blocks < 0:
            raise ConfigError(f"ModelConfig.n_res_blocks must be an integer >= 0, got {self.n_res_blocks!r}")
        if not isinstance(self.z_dim, int) or self.z_dim < 0:
            raise ConfigError(f"ModelConfig.z_dim must be an integer >= 0, got {self.z_dim!r}")
        for key in ("cond_dim", "aux_classes", "reduce_beat"):
            if not isinstance(getattr(self, key), int) or getattr(self, key) < 0:
                raise ConfigError(f"ModelConfig.{key} must be an integer >= 0, got {getattr(self, key)!r}")
        if not isinstance(self.n_classes, int) or self.n_classes < 2:
            raise ConfigError(f"ModelConfig.n_classes must be an integer >= 2, got {self.n_classes!r}")
        if self.kernel_size % 2 == 0:
            raise ConfigError(f"ModelConfig.kernel_size must be odd, got {self.kernel_size}")


def option(default: Any, help: str, *, flag: str | None = None, choices: tuple[str, ...] | None = None) -> Any:
    """A config field with its CLI help: ``flag`` names its ``train`` option when that is not the
    field's name with dashes, ``choices`` lists the values a string field takes."""
    meta = {"help": help, **({"flag": flag} if flag else {}), **({"choices": choices} if choices else {})}
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings every task shares; stored in the run folder and in its checkpoints.

    A kind whose task needs more settings subclasses it (:class:`midistyle.kinds.stargan.StarGANConfig`);
    ``task`` names the kind, whose config class :func:`kind_spec` gives. Defaults follow Brunner et al.
    2018: Adam(2e-4, beta1 0.5), batch 16, 100 epochs with the learning rate decaying linearly to 0
    from epoch 10 (``decay_from`` 0.1 of the run), cycle weight 10, a pool of 50 generated phrases,
    half-normal noise of sigma 1 added to every discriminator input, no classifier noise. The run lasts
    ``max_steps`` optimiser steps when set, else ``epochs``.
    """

    task: str = option("cyclegan", "The model kind this run trains.")
    preset: str = option("brunner", "The preset whose sizes and defaults the run started from.")
    lr: float = option(2e-4, "Adam learning rate.")
    beta1: float = option(0.5, "Adam beta1.")
    beta2: float = option(0.999, "Adam beta2.")
    batch_size: int = option(16, "Phrases per optimiser step.")
    epochs: int = option(100, "Length of the run in epochs (when max_steps is not set).")
    max_steps: int | None = option(None, "Length of the run in optimiser steps (None = `epochs` epochs).")
    decay_from: float = option(0.1, "Share of the run after which the learning rate falls linearly to 0.")
    lambda_cycle: float = option(10.0, "Weight of the cycle reconstruction.", flag="cycle-weight")
    # "l1" (Brunner et al.), "mse" (the "small" preset) or "bce" (binary cross-entropy per cell: a note
    # missed in a sparse roll costs as much as it should)
    cycle_loss: str = option("l1", "Loss of the cycle and identity reconstructions: l1, mse or bce.",
                             flag="rec-loss", choices=("l1", "mse", "bce"))
    lambda_content: float = option(10.0, "Weight of MSE(output, source), the content loss.", flag="content-weight")
    gamma_mixed: float = option(1.0, "Weight of the extra 'mixed' discriminators.")
    mixed: str = option("none", "Extra discriminators: none, partial (reals of A+B) or full (all genres).",
                        choices=("none", "partial", "full"))
    pool_size: int = option(50, "Generated phrases kept in each discriminator's image pool.")
    d_input_noise: float = option(1.0, "Sigma of |N(0, sigma)| added to discriminator inputs.")
    # MuseGAN's deterministic binary neurons (Dong & Yang 2018): D cannot win on G's soft values
    d_binary: bool = option(False, "D sees outputs thresholded at 0.5, as convert plays them (straight-through "
                                   "gradient).", flag="binary-d")
    c_input_noise: float = option(0.0, "Sigma of N(0, sigma) added to classifier inputs while training.")
    # evaluate reports it; never the style judge
    genre_loss: str = option("none", "The genre classifier a generator trained against: none, cnn (a frozen "
                                     "piano-roll classifier) or aux (its discriminator's genre head).",
                             choices=("none", "cnn", "aux"))
    phrase_steps: int | None = option(None, "Train on the first N grid steps of each phrase (default: whole "
                                            "phrases); convert still uses whole windows.")
    transpose: int = option(0, "Random transposition range in semitones while training.")
    seed: int = option(0, "Seed for a reproducible run.")
    log_every: int = option(10, "Log the training losses every N steps.")
    val_phrases: int | None = option(2048, "Validate on at most this many phrases (evenly spread); None = all.")
    checkpoint_every: int = option(500, "Write last/ every N steps.")
    keep_every: int | None = option(None, "Also keep the exported networks of every N-th step as RUN/step<N>.")
    num_workers: int = option(0, "DataLoader worker processes.")
    channels_last: bool | None = option(None, "channels_last memory format (default: on CUDA only).")
    compile: bool | None = option(None, "torch.compile the networks (default: on CUDA only).")
    bf16: bool | None = option(None, "bf16 autocast (default: on CUDA only, never on CPU).")

    def __post_init__(self) -> None:
        if not isinstance(self.task, str) or not self.task:
            raise ConfigError(f"TrainConfig.task must name a model kind, got {self.task!r}")
        if self.cycle_loss not in CYCLE_LOSSES:
            raise ConfigError(f"unknown cycle loss {self.cycle_loss!r}; valid: {list(CYCLE_LOSSES)}")
        if self.genre_loss not in GENRE_LOSSES:
            hint = " (the style judge is evaluate's referee: no generator may train against it)" \
                if "style" in str(self.genre_loss) or "judge" in str(self.genre_loss) else ""
            raise ConfigError(f"unknown genre loss {self.genre_loss!r}; valid: {list(GENRE_LOSSES)}{hint}")
        if self.mixed not in MIXED_MODES:
            raise ConfigError(f"unknown mixed discriminator mode {self.mixed!r}; valid: {list(MIXED_MODES)}")
        check_positive(type(self).__name__, lr=self.lr, batch_size=self.batch_size, epochs=self.epochs,
                        log_every=self.log_every, checkpoint_every=self.checkpoint_every)
        if not 0 <= self.beta1 < 1 or not 0 <= self.beta2 < 1:
            raise ConfigError(f"Adam betas must lie in [0, 1), got {self.beta1}, {self.beta2}")
        if self.max_steps is not None and (not isinstance(self.max_steps, int) or self.max_steps < 1):
            raise ConfigError(f"TrainConfig.max_steps must be a positive integer or None, got {self.max_steps!r}")
        for key in ("lambda_cycle", "lambda_content", "gamma_mixed", "d_input_noise", "c_input_noise"):
            if getattr(self, key) < 0:
                raise ConfigError(f"TrainConfig.{key} must be >= 0, got {getattr(self, key)}")
        if not 0 <= self.decay_from <= 1:
            raise ConfigError(f"TrainConfig.decay_from must lie in [0, 1], got {self.decay_from}")
        if self.keep_every is not None and (not isinstance(self.keep_every, int) or self.keep_every < 1):
            raise ConfigError(f"TrainConfig.keep_every must be a positive integer or None, got {self.keep_every!r}")
        if self.pool_size < 0 or self.num_workers < 0:
            raise ConfigError("TrainConfig.pool_size and num_workers must be >= 0")


def derive(cls: type[T], base: Any, **changes: Any) -> T:
    """A ``cls`` config holding the fields ``base`` shares with it, then ``changes`` (typed, checked):
    a task's config from a preset's shared TrainConfig. Unknown keys raise ConfigError listing valid ones."""
    names = {f.name for f in dataclasses.fields(cls)}
    shared = {f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.name in names}
    return from_dict(cls, {**shared, **changes})


# --------------------------------------------------------------------------- model kinds
@dataclasses.dataclass(frozen=True)
class KindSpec:
    """What the lower layers need to know of a model kind (checkpoint kind = training task).

    ``config`` is its TrainConfig class, ``modules`` the networks an exported checkpoint must hold,
    ``generators`` which module converts in which direction ("a2b", "b2a"); empty for a kind that
    holds no generator. The full record (task, converter hook, CLI) is
    :class:`midistyle.kinds.registry.Kind`, a subclass registered in the same table.
    """

    name: str
    config: type = TrainConfig
    modules: tuple[str, ...] = ()
    generators: Mapping[str, str] = dataclasses.field(default_factory=dict)


_KINDS: dict[str, KindSpec] = {}


def register_kind(spec: KindSpec) -> KindSpec:
    """Add ``spec`` to the table of model kinds (replacing one of the same name)."""
    if not isinstance(spec, KindSpec) or not issubclass(spec.config, TrainConfig):
        raise ConfigError(f"a model kind needs a KindSpec with a TrainConfig class, got {spec!r}")
    _KINDS[spec.name] = spec
    return spec


def unregister_kind(name: str) -> None:
    """Remove the kind ``name`` (a test's toy kind)."""
    _KINDS.pop(name, None)


def kind_names() -> list[str]:
    """Every registered model kind, sorted."""
    _builtin_kinds()
    return sorted(_KINDS)


def kind_spec(name: str) -> KindSpec:
    """The registered kind ``name``; unknown names raise ConfigError (a ValueError) listing the valid ones."""
    _builtin_kinds()
    try:
        return _KINDS[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown model kind {name!r}; valid: {sorted(_KINDS)}") from None


def _builtin_kinds() -> None:
    # The shipped kinds register themselves when their package is imported; the table imports it on
    # first use, so a checkpoint of a shipped kind reads through any layer (a fixed name, no search).
    if "midistyle.kinds" not in sys.modules:
        importlib.import_module("midistyle.kinds")


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named bundle: one TrainConfig and the ModelConfig of each network role."""

    name: str
    train: TrainConfig
    generator: ModelConfig
    discriminator: ModelConfig
    classifier: ModelConfig
    gan_z_dim: int  # noise size of the GAN generator (the CycleGAN generator has none)


def _preset(name: str, *, base: int, res: int, z: int, batch: int, epochs: int, max_steps: int | None,
            cycle_loss: str, log_every: int, checkpoint_every: int) -> Preset:
    return Preset(
        name=name,
        train=TrainConfig(preset=name, batch_size=batch, epochs=epochs, max_steps=max_steps, cycle_loss=cycle_loss,
                          log_every=log_every, checkpoint_every=checkpoint_every),
        generator=ModelConfig(kind="generator", base_channels=base, n_res_blocks=res),
        discriminator=ModelConfig(kind="discriminator", base_channels=base),
        classifier=ModelConfig(kind="classifier", base_channels=base),
        gan_z_dim=z,
    )


PRESETS: dict[str, Preset] = {
    # Brunner et al. 2018: ngf = ndf = 64, 10 residual blocks, batch 16, 100 epochs, decay from epoch 10.
    "brunner": _preset("brunner", base=64, res=10, z=100, batch=16, epochs=100, max_steps=None,
                       cycle_loss="l1", log_every=50, checkpoint_every=1000),
    # Between the two: 7x small's generator (2.0 M parameters), for a lent GPU's few minutes.
    "medium": _preset("medium", base=32, res=6, z=64, batch=16, epochs=100, max_steps=10000,
                      cycle_loss="mse", log_every=50, checkpoint_every=500),
    # CPU: a CycleGAN step runs ~27 phrases/s on 2 idle cores, ~14 on one (benchmarks/train.py), so
    # 5,000 steps of 16 phrases take 50 min to 1.6 h. Giving epochs trains by epochs instead.
    # Cycle loss MSE: with L1 the reconstruction's optimum is the per-cell median, 0 for sparse rolls,
    # and this size collapsed to empty output within its step budget; MSE learned it (see report).
    "small": _preset("small", base=16, res=3, z=32, batch=16, epochs=100, max_steps=5000,
                     cycle_loss="mse", log_every=10, checkpoint_every=250),
    # For tests and smoke runs: seconds per dozens of steps.
    "tiny": _preset("tiny", base=4, res=1, z=8, batch=4, epochs=2, max_steps=None,
                    cycle_loss="mse", log_every=1, checkpoint_every=50),
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; unknown names raise ConfigError (a ValueError) listing the valid ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; valid: {sorted(PRESETS)}") from None
