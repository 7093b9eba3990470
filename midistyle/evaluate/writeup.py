"""report.md from the numbers of report.json: a short plain-words summary, the tables, the pictures."""
from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import quote

from .arrangement import BAR
from .metrics import CONTENT_KEYS, MUSICALITY_KEYS, metrics_table
from .style_report import trained_against_words

STRENGTH_KEYS = ("target_rate_windows", "target_rate_songs", "p_target", "gain_windows", "gain_songs", "strength")
MAX_SONG_ROWS = 50
_CLOSE = 0.05  # rates or F1 this close count as "about the same"


def headline(report: dict) -> str:
    """The one-line summary for the terminal, every number named by its classifier, with the
    content numbers beside the verdicts (a 100% verdict on outputs that keep none of the source's
    notes is no success)."""
    to, counts = report["to"], report["counts"]
    parts = [f"{counts['songs']} songs"]
    if report.get("converter"):
        parts[0] += f" ({_CONVERTERS[report['converter']]})"
    st = report.get("style_judge") or {}
    arr = (st.get("arrangement_judge") or {}).get("target_rate") or {}
    if report.get("converter") == "arrangement" and arr.get("outputs") is not None:
        parts.append(f"arrangement judge: outputs judged {to} {_pct(arr['outputs'])} of songs "
                     f"(inputs {_pct(arr.get('inputs'))})")
    rate = st.get("target_rate") or {}
    if rate.get("outputs") is not None and rate.get("inputs") is not None:
        parts.append(f"style judge: outputs judged {to} {_pct(rate['outputs'])} of songs "
                     f"(inputs {_pct(rate['inputs'])})")
    strength = report.get("strength")
    if strength:
        parts.append(f"CNN classifier: outputs {to} in {_pct(strength['model']['target_rate_windows'])} of windows "
                     f"(inputs {_pct(strength['identity']['target_rate_windows'])})")
    kept = report.get("arrangement_content")
    if kept and kept.get("melody_f1") is not None:
        parts.append(f"melody kept: F1 {_num(kept['melody_f1']):.2f}, harmony (chroma) {_num(kept['chroma']):.2f}")
    m = (report.get("content") or {}).get("model")
    if m:
        parts.append(f"content kept: onset F1 {_num(m['onset_f1']):.2f}, {_num(m['note_count_ratio']):.2f} output "
                     "notes per source note (unchanged input: 1.00 and 1.00)")
    return "; ".join(parts)


_CONVERTERS = {"arrangement": "the arrangement transfer", "edit": "an edit model"}


def _num(v) -> float:
    return float("nan") if v is None else float(v)


def _pct(v) -> str:
    return "n/a" if v is None or math.isnan(v) else f"{100 * v:.0f}%"


def _table(groups: dict, names: dict, keys) -> str:
    cols = {names.get(g, g): {k: _num(v) for k, v in row.items()} for g, row in groups.items()}
    return metrics_table(cols, [k for k in keys if any(k in row for row in cols.values())])


def _names(to: str) -> dict:
    return {"model": "model", "identity": "identity (input unchanged)", "random_target": f"random real {to}",
            "sources": "sources", "outputs": "outputs", "target_real": f"real {to}"}


def _judge(report: dict) -> list[str]:
    """The headline: the style judge's verdict, what the generator trained against, the profile."""
    to, st = report["to"], report.get("style_judge")
    if not st:
        return ["No style judge was available, so the headline style verdict is missing."]
    if "target_rate" not in st:
        return [f"The style judge does not know {to}."]
    rate, p = st["target_rate"], st["p_target"]
    text = (f"Style judge: {_pct(rate['outputs'])} of the outputs are judged {to}, against "
            f"{_pct(rate['inputs'])} of the unchanged inputs"
            + (f" and {_pct(rate['target_real'])} of real {to} songs" if rate.get("target_real") is not None else "")
            + f"; mean P({to}) {_num(p['inputs']):.3f} -> {_num(p['outputs']):.3f} (gain {_num(st['gain']):+.3f}). "
            f"The generator trained against: {trained_against_words(st['trained_against'])}.")
    out = [text]
    arr = st.get("arrangement_judge") or {}
    if arr.get("target_rate"):
        r, pa = arr["target_rate"], arr["p_target"]
        line = (f"Arrangement judge (drums, feel, bass, harmony colour, instruments): {_pct(r['outputs'])} of the "
                f"outputs are judged {to}, against {_pct(r['inputs'])} of the unchanged inputs"
                + (f" and {_pct(r['target_real'])} of real {to} songs" if r.get("target_real") is not None else "")
                + f"; mean P({to}) {_num(pa['inputs']):.3f} -> {_num(pa['outputs']):.3f}.")
        # the arrangement judge decides for an arrangement (as in convert); for an edit model it is an aside
        out.insert(0 if report.get("converter") == "arrangement" else 1, line)
    prof = st.get("profile")
    if prof:
        moved = {w: [g for g, row in prof["groups"].items() if row["moved"] == w] for w in ("toward", "away")}
        out.append(f"Style profile against {st['reference']}: moved toward {to} in "
                   f"{', '.join(moved['toward']) or 'no group'}"
                   + (f"; away in {', '.join(moved['away'])}" if moved["away"] else "") + ".")
    return out


def _style(report: dict) -> list[str]:
    to, st = report["to"], report.get("strength")
    if not st:
        return ["No CNN genre classifier was available, so its second opinion is missing."]
    m, i, r = st["model"], st["identity"], st.get("random_target")
    text = ("CNN (second opinion" + (", reading the merged piano roll of the pitched notes: the arrangement's new "
                                      "bass and comping included, its drums and instruments not"
                                      if report.get("converter") == "arrangement" else "") + f"): it calls {_pct(m['target_rate_windows'])} of the outputs' phrase windows {to} "
            f"({_pct(m['target_rate_songs'])} of songs), against {_pct(i['target_rate_windows'])} of the unchanged "
            f"inputs" + (f" and {_pct(r['target_rate_windows'])} of real {to} music." if r else "."))
    delta = _num(m["target_rate_windows"]) - _num(i["target_rate_windows"])
    if delta < -_CLOSE:
        text += f" So to the classifier the outputs sound less like {to} than the inputs did."
    elif not delta > _CLOSE:
        text += " So the conversion hardly changes what the classifier hears."
    elif r and _num(m["target_rate_windows"]) >= _num(r["target_rate_windows"]) - _CLOSE:
        text += f" The outputs are judged {to} about as often as real {to} music."
    else:
        text += f" The outputs move toward {to}, though less often judged {to} than real {to} music."
    out = [text, f"CNN mean P({to}) per window: {_num(i['p_target']):.3f} before, {_num(m['p_target']):.3f} after "
                 f"(gain {_num(m['gain_windows']):+.3f}; per song {_num(m['gain_songs']):+.3f})."]
    if "strength" in m:
        src = "+".join(report["classifier"]["source"]) or "?"
        out.append(f"CNN strength S(A->B) (Brunner et al. 2018) = {_num(m['strength']):.3f}, with A = {src} "
                   f"(0: the CNN hears no change; identity scores 0)." if m["strength"] is not None else
                   "CNN strength S(A->B) could not be measured: the CNN does not know the model's source genres.")
    return out


def _content(report: dict) -> list[str]:
    to, c = report["to"], report["content"]
    m, r = c["model"], c.get("random_target")
    text = (f"Content kept: onset F1 {_num(m['onset_f1']):.2f}, pitch-class overlap {_num(m['pitch_class_overlap']):.2f}, "
            f"chroma similarity {_num(m['chroma_similarity']):.2f}, {_num(m['note_count_ratio']):.2f} output notes "
            f"per source note (identity scores 1 on all)")
    if r:
        text += (f"; an unrelated real {to} song scores onset F1 {_num(r['onset_f1']):.2f}, "
                 f"overlap {_num(r['pitch_class_overlap']):.2f}.")
        if not _num(m["onset_f1"]) > _num(r["onset_f1"]) + _CLOSE:
            text += f" The outputs keep no more of the source's notes than an unrelated {to} song does."
    else:
        text += "."
    kept = report.get("arrangement_content")
    if kept and kept.get("melody_f1") is not None:
        text += (f" The arrangement re-makes the band, so the onset F1 above counts its new parts as changes; what "
                 f"it must keep (issue 30's bar): melody F1 {_num(kept['melody_f1']):.2f} (bar {BAR['melody_f1']:.2f}), "
                 f"melody notes kept anywhere {_num(kept['melody_kept']):.2f}, median bar chroma "
                 f"{_num(kept['chroma']):.2f} (bar {BAR['chroma']:.2f}).")
        return [text]
    ratio = _num(m["note_count_ratio"])
    if ratio < 0.5:
        text += " The model drops most notes."
    elif ratio > 2:
        text += " The model adds many notes."
    return [text]


def _musicality(report: dict) -> list[str]:
    to, toward = report["to"], report.get("toward_target") or {}
    if "target_real" not in report["musicality"]:
        return [f"No real {to} songs were given (--target-data), so musicality is not compared with {to}."]
    if not toward:
        return [f"Musicality could not be compared with real {to} (metrics undefined)."]
    moved = {w: [k for k, v in toward.items() if v == w] for w in ("toward", "away", "same")}
    text = f"Musicality: the outputs moved toward real {to} on {len(moved['toward'])} of {len(toward)} metrics"
    text += f" ({', '.join(moved['toward'])})" if moved["toward"] else ""
    text += f"; away on {', '.join(moved['away'])}" if moved["away"] else ""
    text += f"; unchanged on {', '.join(moved['same'])}" if moved["same"] else ""
    return [text + "."]


def _caveats(report: dict) -> list[str]:
    c = report["counts"]
    out = [f"Based on {c['songs']} songs ({c['windows']} phrase windows)"
           + ("; with so few songs the numbers are rough." if c["songs"] < 20 else ".")]
    if report.get("strength"):
        out.append("The CNN classifier is itself a trained model: its verdicts are evidence, not ground truth"
                   + (f"; it recognises real {report['to']} in {_pct(report['strength']['random_target']['target_rate_windows'])}"
                      " of windows." if "random_target" in report["strength"] else "."))
    if c.get("failed"):
        out.append(f"{c['failed']} input(s) could not be evaluated (listed at the end).")
    return out


def _setup(report: dict) -> str:
    m, clf, s = report.get("model"), report.get("classifier"), report["settings"]
    parts = []
    if m and m.get("converter") == "arrangement":
        parts.append(f"Converter: the arrangement transfer, as `convert` runs by default ({m.get('kind')}: "
                     f"`{m['path']}`; use --edit for the shipped edit models).")
    elif m:
        src = "+".join(m.get("source") or []) or "?"
        parts.append(f"Model (edit model): `{m['path']}` ({m.get('kind')}, {src} -> {'+'.join(m.get('target') or []) or '?'}, "
                     f"step {m.get('step')}).")
    if s.get("converted_dir"):
        parts.append(f"Outputs read from `{s['converted_dir']}`.")
    else:
        thr = f", threshold {s['threshold']}" if s.get("threshold") is not None else ""
        parts.append(f"Outputs converted here (seed {s['seed']}{thr}), saved in `converted/`.")
    parts.append(f"CNN classifier: `{clf['path']}` ({', '.join(clf['genres'])})." if clf else "CNN classifier: none.")
    parts.append(f"Grid: {s['grid']['steps_per_beat']} steps per beat; phrase windows of {s['window']} steps.")
    return " ".join(parts)


def song_table(report: dict) -> str:
    """The per-song Markdown table (at most MAX_SONG_ROWS rows), each output linked by its quoted path."""
    to = report["to"]
    lines = [f"| song | bars | notes in -> out | style judge P({to}) before -> after | CNN P({to}) before -> after "
             "| onset F1 | output |", "|---" * 7 + "|"]
    for rec in report["songs"][:MAX_SONG_ROWS]:
        p, st = rec.get("p_target") or {}, rec.get("style_p_target") or {}
        prob = f"{_num(p['source']):.2f} -> {_num(p['model']):.2f}" if p else "n/a"
        style = f"{_num(st['source']):.2f} -> {_num(st['output']):.2f}" if st.get("source") is not None else "n/a"
        out = f"[{Path(rec['output']).name}]({quote(rec['output'])})" if rec.get("output") else ""
        lines.append(f"| {Path(rec['source']).name} | {rec['bars']} | {rec['notes_in']} -> {rec['notes_out']} | {style} "
                     f"| {prob} | {_num(rec['content']['model']['onset_f1']):.2f} | {out} |")
    if len(report["songs"]) > MAX_SONG_ROWS:
        lines.append(f"\n({len(report['songs']) - MAX_SONG_ROWS} more in report.json)")
    return "\n".join(lines) + "\n"


def markdown(report: dict) -> str:
    """The report as Markdown (``report`` as written to report.json, NaN already None)."""
    to, names = report["to"], _names(report["to"])
    findings = _judge(report) + _style(report) + _content(report) + _musicality(report) + _caveats(report)
    parts = [f"# midistyle evaluation: {report['counts']['songs']} songs converted to {to}\n", _setup(report) + "\n",
             "## Summary\n", "\n".join(f"- {f}" for f in findings) + "\n"]
    if report.get("style_judge"):
        from .style_report import markdown as style_markdown
        parts += style_markdown(report["style_judge"], to, report.get("strength"))
    if report.get("strength"):
        parts += ["## CNN classifier (second opinion): style strength\n",
                  "Rates are shares classified as the target; gains are P(target) after minus before; "
                  "windows are the converter's phrase windows where the source sounds.\n",
                  _table(report["strength"], names, STRENGTH_KEYS)]
    parts += ["## Content kept (against the source)\n", _table(report["content"], names, CONTENT_KEYS),
              "## Musicality\n", _table(report["musicality"], names, list(MUSICALITY_KEYS) + ["n_notes"])]
    titles = {"style_profile": "Style profile (style judge's feature groups)", "musicality": "Musicality", "content": "Content kept", "target_hist": f"CNN P({to}) per window",
              "compare": "First song, before and after"}
    parts += ["## Pictures\n", "In the bar charts a bar is the mean over songs and its error bar one standard "
              "deviation across songs (kept within 0-1 for rates); the mean is written under each bar.\n"]
    parts += [f"### {titles.get(k, k)}\n\n![{k}]({quote(f)})\n" for k, f in report.get("plots", {}).items()]
    parts += ["## Songs\n", song_table(report)]
    if report.get("failed") or report.get("failed_target"):
        parts.append("## Failed\n")
        parts += [f"- `{f['path']}`: {f['reason']}" for f in report.get("failed", [])]
        parts += [f"- (real {to}) `{f['path']}`: {f['reason']}" for f in report.get("failed_target", [])]
        parts.append("")
    return "\n".join(parts)
