"""Which torch device a command runs on: names checked once, with a one-line reason when unusable."""
from __future__ import annotations

import torch

from midistyle.errors import ConfigError


def resolve_device(device: str | torch.device | None = None, default: str | None = None) -> torch.device:
    """``device`` as given, else ``default``, else CUDA when available, else CPU.

    Raises
    ------
    ConfigError
        A name torch does not know (``--device foo``), CUDA on a machine or torch build without
        it, a GPU index past the last GPU, or an MPS device where there is none.
    """
    if device is None:
        device = default
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ConfigError(f"unknown device {str(device)!r}; use cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {str(device)!r} was asked for but this torch sees no CUDA GPU "
                              "(a CPU-only build, or no driver): use --device cpu")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ConfigError(f"device {str(device)!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s)")
    elif dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError(f"device {str(device)!r} was asked for but this torch sees no MPS GPU: use --device cpu")
    elif dev.type != "cpu":
        raise ConfigError(f"unsupported device {str(device)!r}; use cpu, cuda or cuda:N")
    return dev
