"""Checkpoints: a folder with ``config.json`` (versioned, typed configs) and ``model.safetensors``.

Layout (format_version 3)::

    <dir>/config.json        {"format_version": 3, "midistyle_version": "0.2.0",
                              "kind": a registered model kind (midistyle.kinds: "cyclegan", "stargan", ...),
                              "modules": {name: ModelConfig}, "roll": RollConfig,
                              "genres": [...], "source": [...], "target": [...], "step": int,
                              "phrase_steps": int, "train": the kind's TrainConfig, "metrics": {...},
                              "provenance": {corpus digest, git revision, versions, device, ...}, ...}
    <dir>/model.safetensors  every module's state_dict, keys prefixed "<name>." (e.g. "G.", "F.")

Loading never unpickles: only those two files are read (a stray ``*.pt`` or ``*.pkl`` is ignored),
and every problem becomes a one-line :class:`~midistyle.errors.ModelError`. ``config.json`` is
parsed once into a :class:`CheckpointMeta` (typed: RollConfig, ModelConfigs, TrainConfig);
folders written by older versions are brought up to date by :data:`MIGRATIONS` first.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from midistyle import __version__
from midistyle.atomic import aside_dirs, atomic_dir
from midistyle.config import ModelConfig, RollConfig, TrainConfig, from_dict, kind_names, kind_spec, to_dict
from midistyle.errors import ModelError, one_line
from midistyle.models.registry import build_model

FORMAT_VERSION = 3
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
# Which modules a checkpoint of each kind must hold, which config class its "train" is and which
# module converts in which direction: the kind table (midistyle.config.kind_spec, filled by midistyle.kinds).


def _from_v1(raw: dict) -> dict:
    """Format 1 (midistyle before 0.1.0's typed meta): no writer version; TrainConfig had no
    ``cycle_loss`` before the field existed, and every such run used L1 (the shipped ``to_jazz``,
    ``to_folk`` and ``classifier`` were written then)."""
    out = dict(raw, format_version=2, midistyle_version=None)
    if isinstance(out.get("train"), dict):
        out["train"] = {"cycle_loss": "l1", **out["train"]}
    return out


# The fields format 2's one TrainConfig held for StarGAN alone; format 3 keeps them in StarGAN's own config.
V2_STARGAN_FIELDS = ("lambda_cls", "lambda_identity", "lambda_density", "density_target", "density_band",
                     "unknown_source", "input_skip", "edit_margin", "reduce_input", "focus", "aux_head")


def _from_v2(raw: dict) -> dict:
    """Format 2 (midistyle 0.1.0): one flat TrainConfig for every kind; a kind whose config has no
    StarGAN fields drops them (it never used them)."""
    out = dict(raw, format_version=3)
    if isinstance(out.get("train"), dict) and raw.get("kind") in kind_names():
        own = {f.name for f in dataclasses.fields(kind_spec(raw["kind"]).config)}
        out["train"] = {k: v for k, v in out["train"].items() if k in own or k not in V2_STARGAN_FIELDS}
    return out


# format_version -> function turning a config.json dict of that version into the next version's.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _from_v1, 2: _from_v2}


@dataclasses.dataclass(frozen=True)
class CheckpointMeta:
    """What ``config.json`` says about a checkpoint, parsed and checked once.

    ``genres`` is the logit order of a classifier, every genre seen for a generator; ``source`` and
    ``target`` are the genres of domain A and B (swapped by :meth:`reversed` for a CycleGAN's F).
    ``train`` is None only for folders written without one. ``extra`` keeps keys this version
    does not know; ``path`` is the folder it was read from (None for a meta not read from disk).
    """

    kind: str
    roll: RollConfig = RollConfig()
    modules: Mapping[str, ModelConfig] = dataclasses.field(default_factory=dict)
    genres: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    step: int = 0
    phrase_steps: int | None = None
    train: TrainConfig | None = None
    metrics: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    # what made it (midistyle.training.provenance): corpus digest, code revision, versions, device, wall time
    provenance: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    midistyle_version: str | None = __version__
    format_version: int = FORMAT_VERSION
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    path: Path | None = None

    @property
    def window(self) -> int:
        """Steps per phrase window at inference: the training phrase length, else 4 bars of 4/4."""
        return int(self.phrase_steps or 16 * self.roll.steps_per_beat)

    @property
    def target_name(self) -> str:
        """``"jazz"``, ``"pop+rock"``; ``"?"`` when the checkpoint names no target."""
        return "+".join(self.target) or "?"

    def reversed(self) -> "CheckpointMeta":
        """The meta of the opposite direction (a CycleGAN's F: B -> A)."""
        return dataclasses.replace(self, source=self.target, target=self.source)

    @classmethod
    def build(cls, fields: Mapping[str, Any]) -> "CheckpointMeta":
        """From a meta mapping as tasks give it (configs as dataclasses or dicts); ValueError/TypeError
        on a field that does not fit."""
        data = dict(fields)
        config = kind_spec(data.get("kind")).config
        known = {f.name for f in dataclasses.fields(cls)} - {"extra", "path"}
        extra = {k: data.pop(k) for k in list(data) if k not in known}
        roll = data.pop("roll", None)
        train = data.pop("train", None)
        modules = data.pop("modules", None) or {}
        for key in ("genres", "source", "target"):
            value = data.get(key) or ()
            data[key] = (value,) if isinstance(value, str) else tuple(str(g) for g in value)
        data["metrics"] = dict(data.get("metrics") or {})
        data["provenance"] = dict(data.get("provenance") or {})
        return cls(
            roll=roll if isinstance(roll, RollConfig) else from_dict(RollConfig, dict(roll or {})),
            train=train if isinstance(train, TrainConfig) or train is None else from_dict(config, dict(train)),
            modules={str(n): c if isinstance(c, ModelConfig) else from_dict(ModelConfig, dict(c))
                     for n, c in dict(modules).items()},
            extra=extra, **data)

    @classmethod
    def from_dict(cls, raw: Any, path: str | os.PathLike | None = None) -> "CheckpointMeta":
        """Parse a ``config.json`` object of any known format version (``path``: the file it came
        from, named in errors; the meta's ``path`` is its folder). ModelError when it does not fit."""
        where = path if path is not None else "config.json"
        if not isinstance(raw, dict):
            raise ModelError(where, "expected a JSON object")
        version = raw.get("format_version")
        while version in MIGRATIONS:
            raw = MIGRATIONS[version](raw)
            version = raw.get("format_version")
        if version != FORMAT_VERSION:
            raise ModelError(where, f"unknown checkpoint format_version {version!r}; this midistyle reads "
                                    f"{sorted([*MIGRATIONS, FORMAT_VERSION])}")
        kind = raw.get("kind")
        if kind not in kind_names():
            raise ModelError(where, f"unknown checkpoint kind {kind!r}; valid: {kind_names()}")
        try:
            meta = cls.build(raw)
        except (TypeError, ValueError) as exc:
            raise ModelError(where, f"invalid model, roll or training config: {exc}") from None
        if not isinstance(meta.step, int) or (meta.phrase_steps is not None and not isinstance(meta.phrase_steps, int)):
            raise ModelError(where, "step and phrase_steps must be whole numbers")
        needed = kind_spec(kind).modules
        missing = [n for n in needed if n not in meta.modules]
        if missing:
            raise ModelError(where, f"a {kind} checkpoint needs modules {list(needed)}, missing {missing}")
        return meta if path is None else dataclasses.replace(meta, path=Path(path).parent)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``config.json`` holds (configs as dicts, ``extra`` keys at top level)."""
        body = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("extra", "path")}
        body.update(roll=to_dict(self.roll), modules={n: to_dict(c) for n, c in self.modules.items()},
                    train=None if self.train is None else to_dict(self.train), genres=list(self.genres),
                    source=list(self.source), target=list(self.target), metrics=dict(self.metrics),
                    provenance=dict(self.provenance))
        return {**self.extra, **body}


def unwrap(module: nn.Module) -> nn.Module:
    """The module behind a ``torch.compile`` wrapper (itself otherwise)."""
    return getattr(module, "_orig_mod", module)


def module_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """CPU copy of the unwrapped module's state_dict, without any ``_orig_mod.`` prefix."""
    state = unwrap(module).state_dict()
    return {k.replace("_orig_mod.", ""): v.detach().to("cpu").contiguous().clone() for k, v in state.items()}


def save_checkpoint(directory: str | os.PathLike, modules: Mapping[str, nn.Module],
                    meta: CheckpointMeta | Mapping[str, Any], *,
                    extra_files: Mapping[str, bytes] | None = None) -> Path:
    """Write ``modules`` and ``meta`` as a checkpoint folder, atomically.

    Parameters
    ----------
    directory
        Target folder. It is built beside itself under a temporary name and renamed into place; an
        existing folder is replaced only once the new one is complete.
    modules
        {name: module}; each module (or the one a ``torch.compile`` wrapper holds) must carry the
        ``.config`` ModelConfig it was built from. Names must not contain ".".
    meta
        A :class:`CheckpointMeta`, or a mapping of its fields that holds ``kind`` (a registered
        model kind) and ``roll`` (RollConfig or its dict); other JSON-serialisable keys
        are kept (``extra``). The modules' configs and this midistyle's version are filled in.
    extra_files
        {file name: bytes} written into the same folder (training state for resume).

    Returns
    -------
    Path of the checkpoint folder.
    """
    directory = Path(directory)
    if not isinstance(meta, CheckpointMeta):
        kind = meta.get("kind")
        if kind not in kind_names():
            raise ValueError(f"checkpoint kind must be one of {kind_names()}, got {kind!r}")
        if not meta.get("roll"):
            raise ValueError("checkpoint meta needs 'roll' (the RollConfig of the training data)")
        meta = CheckpointMeta.build({k: v for k, v in meta.items() if k not in ("format_version", "modules")})
    needed = kind_spec(meta.kind).modules
    missing = [n for n in needed if n not in modules]
    if missing:
        raise ValueError(f"a {meta.kind} checkpoint needs modules {list(needed)}, missing {missing}")
    tensors: dict[str, torch.Tensor] = {}
    configs: dict[str, ModelConfig] = {}
    for name, module in modules.items():
        config = getattr(unwrap(module), "config", None)
        if not isinstance(config, ModelConfig) or "." in name:
            raise ValueError(f"module {name!r} needs a ModelConfig .config and a name without '.'")
        configs[name] = config
        tensors.update({f"{name}.{key}": value for key, value in module_state(module).items()})
    meta = dataclasses.replace(meta, modules=configs, format_version=FORMAT_VERSION, midistyle_version=__version__)
    text = json.dumps(meta.to_dict(), indent=2, sort_keys=True, default=_json_default)

    with atomic_dir(directory) as tmp:
        save_file(tensors, str(tmp / WEIGHTS_NAME), metadata={"format": "pt"})
        for fname, data in (extra_files or {}).items():
            (tmp / fname).write_bytes(data)
        (tmp / CONFIG_NAME).write_text(text, encoding="utf-8")  # last: its presence marks a complete folder
    return directory


def _json_default(value: Any) -> Any:
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def previous_checkpoint(directory: str | os.PathLike) -> Path | None:
    """A complete checkpoint left aside by an interrupted replacement of ``directory``, if any."""
    for old in aside_dirs(directory):
        if (old / CONFIG_NAME).is_file() and (old / WEIGHTS_NAME).is_file():
            return old
    return None


def read_meta(directory: str | os.PathLike) -> CheckpointMeta:
    """Parse and check ``config.json`` of a checkpoint folder (no weights are read)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelError(directory, "no checkpoint folder here")
    path = directory / CONFIG_NAME
    if not path.is_file():
        if (directory / "best" / CONFIG_NAME).is_file():  # `--model RUN` for `--model RUN/best`
            raise ModelError(directory, f"a training run folder, not a checkpoint: give {directory / 'best'} "
                                        f"(the best validated) or {directory / 'last'}")
        raise ModelError(directory, f"missing {CONFIG_NAME}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(path, f"unreadable JSON ({exc})") from None
    return CheckpointMeta.from_dict(raw, path)


def load_checkpoint(directory: str | os.PathLike, *, device: str | torch.device = "cpu",
                    names: tuple[str, ...] | None = None) -> tuple[dict[str, nn.Module], CheckpointMeta]:
    """Build the checkpoint's modules from their configs and load their weights (safetensors only).

    Parameters
    ----------
    directory
        Checkpoint folder written by :func:`save_checkpoint`.
    device
        Where to put the modules.
    names
        Load only these modules (default: all in config.json).

    Returns
    -------
    (modules, meta): {name: module in eval mode}, and its :class:`CheckpointMeta`.

    Raises
    ------
    ModelError
        Missing files, corrupt or truncated weights, unknown format_version or kind, configs whose
        shapes do not match the weights.
    """
    directory = Path(directory)
    meta = read_meta(directory)
    wanted = tuple(meta.modules) if names is None else names
    unknown = [n for n in wanted if n not in meta.modules]
    if unknown:
        raise ModelError(directory, f"no module(s) {unknown} in checkpoint; it holds {sorted(meta.modules)}")
    weights = load_weights(directory)
    modules: dict[str, nn.Module] = {}
    for name in wanted:
        try:
            module = build_model(meta.modules[name])
        except (KeyError, ValueError) as exc:
            raise ModelError(directory, f"cannot build module {name!r}: {exc}") from None
        load_state_into(module, weights.get(name, {}), name, directory)
        modules[name] = module.to(device).eval()
    return modules, meta


def load_weights(directory: str | os.PathLike) -> dict[str, dict[str, torch.Tensor]]:
    """{module name: state_dict} from ``model.safetensors`` (CPU tensors); ModelError when unreadable."""
    weights_path = Path(directory) / WEIGHTS_NAME
    if not weights_path.is_file():
        raise ModelError(directory, f"missing {WEIGHTS_NAME}")
    try:
        tensors = load_file(str(weights_path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelError(weights_path, f"truncated or corrupt safetensors file ({one_line(exc, typed=False)})") from None
    grouped: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        name, _, rest = key.partition(".")
        grouped.setdefault(name, {})[rest] = value
    return grouped


def load_state_into(module: nn.Module, state: Mapping[str, torch.Tensor], name: str,
                    directory: str | os.PathLike) -> None:
    """Load ``state`` into ``module`` (unwrapped) after checking keys and shapes; ModelError on mismatch."""
    module = unwrap(module)
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        detail = f"missing {missing[:3]}" if missing else f"unexpected {unexpected[:3]}"
        raise ModelError(directory, f"weights of {name!r} do not match its config ({detail}"
                                    f"{', ...' if len(missing) + len(unexpected) > 3 else ''})")
    for key, value in state.items():
        if tuple(value.shape) != tuple(expected[key].shape):
            raise ModelError(directory, f"weights of {name!r} do not match its config: {key} has shape "
                                        f"{tuple(value.shape)}, config builds {tuple(expected[key].shape)}")
    with torch.no_grad():
        module.load_state_dict(state, strict=True)


def load_generator(directory: str | os.PathLike, *, direction: str = "a2b",
                   device: str | torch.device = "cpu") -> tuple[nn.Module, CheckpointMeta]:
    """The transfer network of a checkpoint whose kind holds one, in eval mode, and its meta.

    ``direction="a2b"`` gives G (source -> target); ``"b2a"`` gives the network back (a CycleGAN's F)
    with ``source`` and ``target`` swapped in the returned meta. A GAN generator called without ``z``
    uses z = 0 (deterministic). A stargan generator converts between any of ``meta.genres`` and needs
    a code (its kind's converter hook, :mod:`midistyle.kinds.stargan`).
    """
    if direction not in ("a2b", "b2a"):
        raise ValueError(f"direction must be 'a2b' or 'b2a', got {direction!r}")
    meta = read_meta(directory)
    generators = kind_spec(meta.kind).generators
    if not generators:
        raise ModelError(directory, f"a {meta.kind} checkpoint holds no generator")
    if direction not in generators:
        raise ModelError(directory, f"a {meta.kind} checkpoint cannot transfer {direction}")
    name = generators[direction]
    modules, meta = load_checkpoint(directory, device=device, names=(name,))
    return modules[name], meta.reversed() if direction == "b2a" else meta


def load_classifier(directory: str | os.PathLike, *,
                    device: str | torch.device = "cpu") -> tuple[nn.Module, CheckpointMeta]:
    """The genre classifier (module ``C``) of a classifier checkpoint (eval mode) and its meta
    (``genres`` = logit order)."""
    meta = read_meta(directory)
    if "C" not in kind_spec(meta.kind).modules:
        raise ModelError(directory, f"expected a classifier checkpoint, got kind {meta.kind!r}")
    modules, meta = load_checkpoint(directory, device=device, names=("C",))
    return modules["C"], meta
