"""Checkpoints: a folder with ``config.json`` (versioned, typed configs) and ``model.safetensors``.

Layout (format_version 1)::

    <dir>/config.json        {"format_version": 1, "kind": "cyclegan" | "gan" | "classifier",
                              "modules": {name: ModelConfig}, "roll": RollConfig,
                              "genres": [...], "source": [...], "target": [...], "step": int,
                              "phrase_steps": int, "train": TrainConfig, "metrics": {...}, ...}
    <dir>/model.safetensors  every module's state_dict, keys prefixed "<name>." (e.g. "G.", "F.")

Loading never unpickles: only those two files are read (a stray ``*.pt`` or ``*.pkl`` is ignored),
and every problem becomes a one-line :class:`~midistyle.errors.ModelError`.

``meta`` (what :func:`load_checkpoint`, :func:`load_generator` and :func:`load_classifier` return)
is a dict holding:

- ``format_version`` (int), ``kind`` (str), ``step`` (int, optimiser steps trained)
- ``roll``: the :class:`~midistyle.config.RollConfig` of the training data (steps per beat, pitch range)
- ``modules``: {name: :class:`~midistyle.config.ModelConfig`}
- ``genres``: tuple of class names in logit order (classifier) or every genre seen (cyclegan/gan)
- ``source`` / ``target``: tuples of genres of domain A / B (cyclegan, gan); for
  ``load_generator(direction="b2a")`` they are swapped so ``source`` is always the input's domain
- ``phrase_steps`` (int or None): time steps per training phrase
- ``train`` (dict, the TrainConfig fields) and ``metrics`` (dict, validation at save time), when saved
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Mapping

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from midistyle.config import ModelConfig, RollConfig, from_dict, to_dict
from midistyle.errors import ModelError
from midistyle.models.registry import build_model

FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
# Checkpoint kind -> modules an inference checkpoint must hold (training checkpoints add D_A, D_B, ...).
CHECKPOINT_KINDS: dict[str, tuple[str, ...]] = {"cyclegan": ("G", "F"), "gan": ("G",), "classifier": ("C",)}
_TUPLE_KEYS = ("genres", "source", "target")


def unwrap(module: nn.Module) -> nn.Module:
    """The module behind a ``torch.compile`` wrapper (itself otherwise)."""
    return getattr(module, "_orig_mod", module)


def module_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """CPU copy of the unwrapped module's state_dict, without any ``_orig_mod.`` prefix."""
    state = unwrap(module).state_dict()
    return {k.replace("_orig_mod.", ""): v.detach().to("cpu").contiguous().clone() for k, v in state.items()}


def save_checkpoint(directory: str | os.PathLike, modules: Mapping[str, nn.Module], meta: Mapping[str, Any], *,
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
        Must hold ``kind`` (one of ``CHECKPOINT_KINDS``) and ``roll`` (RollConfig or its dict); any other
        JSON-serialisable keys (``genres``, ``source``, ``target``, ``step``, ``train``, ``metrics`` ...) are kept.
    extra_files
        {file name: bytes} written into the same folder (training state for resume).

    Returns
    -------
    Path of the checkpoint folder.
    """
    directory = Path(directory)
    kind = meta.get("kind")
    if kind not in CHECKPOINT_KINDS:
        raise ValueError(f"checkpoint kind must be one of {sorted(CHECKPOINT_KINDS)}, got {kind!r}")
    missing = [n for n in CHECKPOINT_KINDS[kind] if n not in modules]
    if missing:
        raise ValueError(f"a {kind} checkpoint needs modules {list(CHECKPOINT_KINDS[kind])}, missing {missing}")
    roll = meta.get("roll")
    roll = to_dict(roll) if isinstance(roll, RollConfig) else dict(roll or {})
    if not roll:
        raise ValueError("checkpoint meta needs 'roll' (the RollConfig of the training data)")
    tensors: dict[str, torch.Tensor] = {}
    configs: dict[str, dict] = {}
    for name, module in modules.items():
        config = getattr(unwrap(module), "config", None)
        if not isinstance(config, ModelConfig) or "." in name:
            raise ValueError(f"module {name!r} needs a ModelConfig .config and a name without '.'")
        configs[name] = to_dict(config)
        tensors.update({f"{name}.{key}": value for key, value in module_state(module).items()})
    body = {k: (to_dict(v) if hasattr(v, "__dataclass_fields__") else v) for k, v in meta.items()
            if k not in ("format_version", "modules", "roll")}
    body.update(format_version=FORMAT_VERSION, kind=kind, modules=configs, roll=roll)
    text = json.dumps(body, indent=2, sort_keys=True, default=_json_default)

    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".part", dir=directory.parent))
    try:
        save_file(tensors, str(tmp / WEIGHTS_NAME), metadata={"format": "pt"})
        for fname, data in (extra_files or {}).items():
            (tmp / fname).write_bytes(data)
        (tmp / CONFIG_NAME).write_text(text, encoding="utf-8")  # last: its presence marks a complete folder
        _share(tmp)
        _swap_in(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def _json_default(value: Any) -> Any:
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _share(folder: Path) -> None:
    """Give the folder and its files the usual umask-based modes (mkdtemp makes them private)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(folder, 0o777 & ~umask)
    for path in folder.iterdir():
        os.chmod(path, 0o666 & ~umask)


def _swap_in(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an existing ``target`` is moved aside first and removed after."""
    if not target.exists():
        os.replace(tmp, target)
        return
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def previous_checkpoint(directory: str | os.PathLike) -> Path | None:
    """A complete checkpoint left aside by an interrupted replacement of ``directory``, if any."""
    directory = Path(directory)
    for old in sorted(directory.parent.glob(f".{directory.name}.old-*")):
        if (old / CONFIG_NAME).is_file() and (old / WEIGHTS_NAME).is_file():
            return old
    return None


def read_meta(directory: str | os.PathLike) -> dict[str, Any]:
    """Parse and check ``config.json`` of a checkpoint folder (no weights are read)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelError(directory, "no checkpoint folder here")
    path = directory / CONFIG_NAME
    if not path.is_file():
        raise ModelError(directory, f"missing {CONFIG_NAME}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(path, f"unreadable JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ModelError(path, "expected a JSON object")
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(path, f"unknown checkpoint format_version {version!r}; this midistyle reads {FORMAT_VERSION}")
    kind = raw.get("kind")
    if kind not in CHECKPOINT_KINDS:
        raise ModelError(path, f"unknown checkpoint kind {kind!r}; valid: {sorted(CHECKPOINT_KINDS)}")
    try:
        modules = {str(n): from_dict(ModelConfig, c) for n, c in dict(raw.get("modules") or {}).items()}
        roll = from_dict(RollConfig, dict(raw.get("roll") or {}))
    except (TypeError, ValueError) as exc:
        raise ModelError(path, f"invalid model or roll config: {exc}") from None
    missing = [n for n in CHECKPOINT_KINDS[kind] if n not in modules]
    if missing:
        raise ModelError(path, f"a {kind} checkpoint needs modules {list(CHECKPOINT_KINDS[kind])}, missing {missing}")
    meta = dict(raw, modules=modules, roll=roll)
    for key in _TUPLE_KEYS:
        meta[key] = tuple(meta.get(key) or ())
    meta.setdefault("step", 0)
    meta.setdefault("phrase_steps", None)
    return meta


def load_checkpoint(directory: str | os.PathLike, *, device: str | torch.device = "cpu",
                    names: tuple[str, ...] | None = None) -> tuple[dict[str, nn.Module], dict[str, Any]]:
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
    (modules, meta): {name: module in eval mode}, and the meta dict described in the module docstring.

    Raises
    ------
    ModelError
        Missing files, corrupt or truncated weights, unknown format_version or kind, configs whose
        shapes do not match the weights.
    """
    directory = Path(directory)
    meta = read_meta(directory)
    wanted = tuple(meta["modules"]) if names is None else names
    unknown = [n for n in wanted if n not in meta["modules"]]
    if unknown:
        raise ModelError(directory, f"no module(s) {unknown} in checkpoint; it holds {sorted(meta['modules'])}")
    weights = load_weights(directory)
    modules: dict[str, nn.Module] = {}
    for name in wanted:
        try:
            module = build_model(meta["modules"][name])
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
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(weights_path, f"truncated or corrupt safetensors file ({reason})") from None
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
                   device: str | torch.device = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """The transfer network of a cyclegan or gan checkpoint, in eval mode, and its meta.

    ``direction="a2b"`` gives G (source -> target); ``"b2a"`` gives a CycleGAN's F with ``source`` and
    ``target`` swapped in the returned meta. A GAN generator called without ``z`` uses z = 0 (deterministic).
    """
    if direction not in ("a2b", "b2a"):
        raise ValueError(f"direction must be 'a2b' or 'b2a', got {direction!r}")
    meta = read_meta(directory)
    if meta["kind"] not in ("cyclegan", "gan"):
        raise ModelError(directory, f"a {meta['kind']} checkpoint holds no generator")
    if direction == "b2a" and meta["kind"] != "cyclegan":
        raise ModelError(directory, "only a cyclegan checkpoint can transfer b2a")
    name = "G" if direction == "a2b" else "F"
    modules, meta = load_checkpoint(directory, device=device, names=(name,))
    if direction == "b2a":
        meta = dict(meta, source=meta["target"], target=meta["source"])
    return modules[name], meta


def load_classifier(directory: str | os.PathLike, *,
                    device: str | torch.device = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """The genre classifier of a classifier checkpoint (eval mode) and its meta (``genres`` = logit order)."""
    meta = read_meta(directory)
    if meta["kind"] != "classifier":
        raise ModelError(directory, f"expected a classifier checkpoint, got kind {meta['kind']!r}")
    modules, meta = load_checkpoint(directory, device=device, names=("C",))
    return modules["C"], meta
