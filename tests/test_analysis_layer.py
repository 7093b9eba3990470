"""The analysis package stays above representation and below models: no torch, music21 only lazily."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_analysis_imports_no_torch_no_models_and_no_music21_at_import():
    root = Path(__file__).parents[1] / "midistyle" / "analysis"
    modules = sorted("midistyle.analysis." + p.stem for p in root.glob("*.py") if p.stem != "__init__")
    assert "midistyle.analysis.roles" in modules
    code = (f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
            "above = ('midistyle.models', 'midistyle.data', 'midistyle.training', 'midistyle.transfer', "
            "'midistyle.evaluate', 'midistyle.cli')\n"
            "bad = [m for m in sys.modules if m.startswith(above) or m.split('.')[0] in ('torch', 'music21', "
            "'matplotlib', 'mir_eval')]\n"
            "print(sorted(bad)); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
