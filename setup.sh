#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine; safe and quick to run again.
#   - system packages: libfluidsynth3 + fluidsynth + a GM soundfont (apt-get, only when missing)
#   - a virtual environment in .venv with torch 2.13.0 (CPU) first, then midistyle[test] (editable)
# Opt-in: `./setup.sh --with-mma` (or MIDISTYLE_WITH_MMA=1) also installs Debian's `mma` (Musical MIDI
# Accompaniment), the reference renderer of benchmarks/arrangement.py --methods mma; nothing else needs it.
set -euo pipefail
cd "$(dirname "$0")"

with_mma=${MIDISTYLE_WITH_MMA:-0}
for arg in "$@"; do
    case "$arg" in
        --with-mma) with_mma=1 ;;
        *) echo "setup: unknown option $arg (known: --with-mma)" >&2; exit 2 ;;
    esac
done

need_apt=()
dpkg -s libfluidsynth3 >/dev/null 2>&1 || need_apt+=(libfluidsynth3)
dpkg -s fluidsynth >/dev/null 2>&1 || need_apt+=(fluidsynth)
dpkg -s timgm6mb-soundfont >/dev/null 2>&1 || need_apt+=(timgm6mb-soundfont)
if [ "$with_mma" = 1 ]; then
    dpkg -s mma >/dev/null 2>&1 || need_apt+=(mma)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""
        [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        echo "setup: installing system packages: ${need_apt[*]}"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    else
        echo "setup: warning: no apt-get; install libfluidsynth yourself for WAV rendering (${need_apt[*]})" >&2
    fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
VPY=.venv/bin/python

# torch first and pinned: a bare requirement would pull a multi-GB CUDA build.
"$VPY" -c "import torch" >/dev/null 2>&1 || "$VPY" -m pip install -q "torch==2.13.0"

# Reinstall the package only when pyproject.toml changed since the last successful install.
stamp=.venv/.midistyle-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$VPY" -m pip install -q -e ".[test]"
    echo "$want" > "$stamp"
fi
echo "setup: ready (.venv/bin/midistyle)"
