"""The converter an evaluation measures: the one ``convert`` picks (:func:`midistyle.transfer.by_arrangement`),
and what the report says about it. The arrangement transfer (shipped assets, an assets folder or an
arranger checkpoint) by default; the shipped edit models with ``edit``; an edit checkpoint as ``model``."""
from __future__ import annotations

import dataclasses
import warnings

from ..errors import ModelError, one_line
from .scoring import TargetClassifier

ARRANGEMENT, EDIT = "arrangement", "edit"  # report["converter"]


def load(to: str, model, converted_dir, device: str, edit: bool = False):
    """(converter into ``to``, converter back when its kind holds a generator back (a CycleGAN's F), else
    None); (None, None) when the outputs are read from ``converted_dir`` and no converter is asked for."""
    from ..models.checkpoint import load_generator
    from ..rearrange import ArrangementConverter
    from ..transfer import Converter, by_arrangement

    if converted_dir is not None and model is None and not edit:
        return None, None
    if by_arrangement(to, model, edit=edit):
        return ArrangementConverter.load(to, model, device=device), None
    conv = Converter.load(to, model, classifier=False, device=device)
    if not conv.kind.round_trip:
        return conv, None
    back = "b2a" if conv.direction == "a2b" else "a2b"
    net, meta = load_generator(conv.meta.path, direction=back, device=conv.device)
    return conv, dataclasses.replace(conv, generator=net, meta=meta, direction=back)


def kind(conv) -> str | None:
    """``"arrangement"`` or ``"edit"`` (None without a converter)."""
    if conv is None:
        return None
    return ARRANGEMENT if conv.arranges else EDIT


def uses_threshold(conv) -> bool:
    """Whether the converter thresholds network outputs (an edit model, an arranger; not the bank)."""
    return kind(conv) == EDIT or getattr(conv, "model", None) is not None


def record(conv) -> dict | None:
    """report.json's ``model``: path, kind, source and target genres, training step; ``converter``."""
    if conv is None:
        return None
    if kind(conv) == EDIT:
        meta = conv.meta
        return {"converter": EDIT, "path": str(meta.path), "kind": meta.kind, "source": list(meta.source),
                "target": list(meta.target), "step": meta.step}
    step = None
    if conv.model is not None:
        from ..models.checkpoint import read_meta

        step = read_meta(conv.model).step
    return {"converter": ARRANGEMENT, "path": str(conv.model or conv.assets), "assets": str(conv.assets),
            "kind": "arranger" if conv.model is not None else "retrieval", "source": [], "target": [conv.target],
            "step": step}


def train_meta(conv):
    """The checkpoint meta that says what the converter trained against (None for the arrangement bank)."""
    if kind(conv) == EDIT:
        return conv.meta
    if conv is not None and conv.model is not None:
        from ..models.checkpoint import read_meta

        return read_meta(conv.model)
    return None


def cnn(classifier, to: str, conv, device: str | None, among=()) -> TargetClassifier | None:
    """The CNN second opinion asked for (None/True: the shipped one if it can read the converter's grid;
    False: none), on the converter's grid and phrase windows."""
    from ..genre_classifier import shipped_classifier

    if classifier is False:
        return None
    shipped = classifier is None or classifier is True
    if shipped:
        try:
            classifier = shipped_classifier()
        except ModelError:
            return None
    edit = kind(conv) == EDIT
    try:
        return TargetClassifier.load(classifier, to, conv.meta.source if edit else (),
                                     conv.cfg if conv is not None else None, conv.window if edit else None,
                                     device or "cpu", among)
    except ModelError as exc:
        if not shipped or among:
            raise
        # the shipped CNN is only the second opinion: a model on another grid is judged by the style judge alone
        warnings.warn(f"the shipped CNN classifier is left out of this report: {one_line(exc)}")
        return None
