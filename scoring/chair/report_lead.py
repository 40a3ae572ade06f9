"""The agreement report's lead: three plain sentences a panel chair can act on.

1. Is the panel reliable enough? (the panel's mean score against the chair's target)
2. Which examiner to talk to, and about what? (the examiners' flags, then the watch tier)
3. Which criteria does the panel read differently? (per-criterion agreement bands)

Each sentence is read from the report the tables below it print
(:func:`scoring.chair.agreement_report.panel_report`, i.e.
:func:`scoring.chair.agreement_report.analyse`): the band
codes, the flag and watch objects of every examiner, the D study. Nothing is recomputed here,
so the lead cannot disagree with its evidence; each item names the anchor of that evidence.
A flag code this module has no words for (a new kind of flag) is still named, by its label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..i18n import current_language, one_full_stop
from ..rules.bands import ALPHA, ICC
from .interpret import FLAG_LABELS, WATCH_LABELS, band_label, num

# What to talk about, per flag code (the tables' FLAG_LABELS name them; these say why).
TOPICS = {
    "lenient": _l("scores higher than the rest of the panel on the same candidates"),
    "severe": _l("scores lower than the rest of the panel on the same candidates"),
    "inconsistent": _l("scores that wander from the panel's consensus"),
    "central_tendency": _l("keeps to the middle of the scale"),
    "halo": _l("gives every criterion of a candidate much the same score"),
}
WATCH_TOPICS = {
    "lenient": _l("a little higher than the others"),
    "severe": _l("a little lower than the others"),
}
# Per criterion, "read differently" is agreement of one examiner alone in the lowest ICC band
# (poor, Koo & Li 2016), or, where no ICC can be computed, alpha in its lowest (unreliable).
DIFFERENT = (ICC.lowest.code, ALPHA.lowest.code)


@dataclass(frozen=True)
class LeadItem:
    """One sentence of the lead: what it answers, its words, where its evidence is."""

    key: str  # "reliability" | "examiners" | "criteria" | "no_data"
    tone: str  # "ok" (nothing to do) | "watch" | "act"
    text: str
    anchor: str  # id of the evidence in the report (page and PDF)
    items: tuple[str, ...] = field(default=())  # a list under the sentence (names, criteria)
    note: str = ""  # a caveat after the list (a first reading on few candidates)


def anchors(panel_id: int) -> dict[str, str]:
    """Return the ids of the report's evidence sections for a panel (one definition)."""
    return {"reliability": f"reliability-{panel_id}", "examiners": f"examiners-{panel_id}",
            "criteria": f"criteria-{panel_id}", "no_data": f"no-data-{panel_id}",
            "lead": f"lead-{panel_id}"}


def context(report: dict) -> dict:
    """Return what a template needs to print ``report``'s lead: its items and their anchors."""
    return {"lead": lead(report), "anchors": anchors(report["panel"]["id"])}


def lead(report: dict) -> list[LeadItem]:
    """Return the lead of a panel report: three items, or one when there is nothing to read."""
    ids = anchors(report["panel"]["id"])
    if report.get("analysis") is None:
        return [LeadItem("no_data", "watch", _(
            "Too early to judge this panel: %(n)s candidates have every required sheet in and "
            "%(k)s examiners have scored them; the answers appear once at least 2 candidates "
            "are finished by at least 2 examiners.", n=report["n_candidates"],
            k=report["n_examiners"]), ids["no_data"])]
    items = [_reliability(report, ids["reliability"]), _examiners(report, ids["examiners"]),
             _criteria(report, ids["criteria"])]
    early = report["n_candidates"] < report["analysis"]["thresholds"]["min_candidates"]
    if early:  # figures on a handful of candidates are a first impression, not a verdict
        note = _("A first reading on only %(n)s candidates: it firms up as the panel finishes "
                 "more.", n=report["n_candidates"])
        items = [replace(i, tone="watch" if i.tone == "act" else i.tone, note=note)
                 if i.key in ("reliability", "criteria") else i for i in items]
    return items


def _finite(value) -> bool:
    return value is not None and math.isfinite(value)


def _reliability(report: dict, anchor: str) -> LeadItem:
    """Is the panel's mean score reliable enough for the chair's target?"""
    overall, d = report["overall"], report["d_study"]
    value, target = overall["icc2k"]["value"], report["target"]
    if not _finite(value):
        return _by_alpha(overall, anchor)
    figures = {"band": band_label(overall["icc2k_band"]), "v": num(value), "t": num(target),
               "k": report["n_examiners"]}
    uncertain = overall["icc2k"]["ci_low"] is not None and _finite(overall["icc2k"]["ci_low"]) \
        and overall["icc2k"]["ci_low"] < target <= value
    if value >= target and not uncertain:
        return LeadItem("reliability", "ok", _(
            "The panel is reliable enough: its mean score has %(band)s reliability "
            "(%(v)s with %(k)s examiners; your target is %(t)s).", **figures), anchor)
    if value >= target:
        return LeadItem("reliability", "watch", _(
            "The panel is probably reliable enough, but not yet certainly: its mean score has "
            "%(band)s reliability (%(v)s with %(k)s examiners; your target is %(t)s), and "
            "with %(n)s candidates the range of plausible values still reaches below the "
            "target.", n=report["n_candidates"], **figures), anchor)
    if d["needed_phi"] is None:
        advice = _("More examiners alone would not reach it: improve the anchors and train "
                   "the examiners.")
    elif d["needed_phi"] > report["n_examiners"]:
        advice = _("%(m)s examiners per panel would reach it.", m=d["needed_phi"])
    else:  # the D study's projection and the ICC differ a little: let the chair read both
        advice = _("The D study below shows how many examiners would reach it.")
    return LeadItem("reliability", "act", _(
        "The panel is not reliable enough yet: its mean score has %(band)s reliability "
        "(%(v)s with %(k)s examiners; your target is %(t)s).", **figures) + " " + advice,
        anchor)


def _by_alpha(overall: dict, anchor: str) -> LeadItem:
    """Answer from Krippendorff's alpha when no ICC can be computed (unbalanced or flat data)."""
    alpha = overall["alpha_interval"]
    if not _finite(alpha):
        return LeadItem("reliability", "watch", _(
            "The panel's reliability cannot be computed yet from these scores (for instance "
            "every candidate got the same score); read the figures below."), anchor)
    figures = {"band": band_label(overall["alpha_band"]), "v": num(alpha, 3)}
    if overall["alpha_band"] == ALPHA.highest.code:
        return LeadItem("reliability", "ok", _(
            "The panel is reliable enough: Krippendorff's alpha of the mean score is %(v)s "
            "(%(band)s).", **figures), anchor)
    tone = "act" if overall["alpha_band"] == ALPHA.lowest.code else "watch"
    return LeadItem("reliability", tone, _(
        "The panel is not reliable enough yet: Krippendorff's alpha of the mean score is "
        "%(v)s (%(band)s).", **figures), anchor)


def _topic(code: str, labels: dict, topics: dict) -> str:
    """Return what to talk about for a flag code; a code without words gets its label."""
    return str(topics.get(code) or labels.get(code) or code.replace("_", " "))


def _examiners(report: dict, anchor: str) -> LeadItem:
    """Which examiner to talk to, and about what (flags first; the watch tier after)."""
    flagged = [e for e in report["examiners"] if e["flags"]]
    watched = [e for e in report["examiners"] if not e["flags"] and e.get("watch")]
    if flagged:
        items = tuple(one_full_stop(_("%(name)s: %(topics)s.", name=e["name"], topics="; ".join(
            _topic(c, FLAG_LABELS, TOPICS) for c in e["flags"]))) for e in flagged)
        if len(flagged) == 1:
            e = flagged[0]
            return LeadItem("examiners", "act", one_full_stop(_(
                "Talk to %(name)s about how they score: %(topics)s.", name=e["name"],
                topics="; ".join(_topic(c, FLAG_LABELS, TOPICS) for c in e["flags"]))), anchor)
        return LeadItem("examiners", "act", _(
            "Talk to %(n)s examiners about how they score:", n=len(flagged)), anchor, items)
    if watched:
        items = tuple(one_full_stop(_("%(name)s: %(topics)s.", name=e["name"], topics="; ".join(
            _topic(c, WATCH_LABELS, WATCH_TOPICS) for c in e["watch"]))) for e in watched)
        return LeadItem("examiners", "watch", _(
            "No examiner needs a talk; keep an eye on these, whose scores lean one way a "
            "little:"), anchor, items)
    assessed = [e for e in report["examiners"] if not e.get("note")]
    if not assessed:
        return LeadItem("examiners", "watch", _(
            "Too early to compare the examiners: each needs at least %(min)s finished "
            "candidates.", min=report["analysis"]["thresholds"]["min_candidates"]), anchor)
    return LeadItem("examiners", "ok", _(
        "No examiner needs a talk: each scores in line with the rest of the panel."), anchor)


def _criteria(report: dict, anchor: str) -> LeadItem:
    """Which criteria the panel reads differently (poor agreement of one examiner alone)."""
    names = {c["code"]: c["name"] for c in report["criteria"]}
    rows = []
    for c in report["per_criterion"]:
        value = c["icc21"]["value"]
        code = c["icc_band"] if _finite(value) else c["alpha_band"]
        if code in DIFFERENT:
            rows.append((value if _finite(value) else -math.inf, c))
    if not rows:
        return LeadItem("criteria", "ok", _(
            "The panel reads every criterion alike enough: no criterion has %(band)s agreement.",
            band=band_label(ICC.lowest.code)), anchor)
    rows.sort(key=lambda r: r[0])
    items = tuple(_criterion_words(c, names) for _, c in rows)
    if len(items) == 1:
        return LeadItem("criteria", "act", _(
            "The panel reads one criterion differently: %(c)s. Go through its anchors "
            "together before the next candidates.", c=items[0]), anchor)
    return LeadItem("criteria", "act", _(
        "The panel reads %(n)s criteria differently; go through their anchors together "
        "before the next candidates:", n=len(items)), anchor, items)


def _criterion_words(c: dict, names: dict) -> str:
    """Return "KOM (Komunikasi): poor agreement (0.21)" in the page's language."""
    name = names.get(c["label"]) or {}
    title = name.get(current_language()) or name.get("id") or ""
    label = _("%(code)s (%(name)s)", code=c["label"], name=title) if title else c["label"]
    value = c["icc21"]["value"]
    if _finite(value):
        return _("%(criterion)s: %(band)s agreement (%(v)s)", criterion=label,
                 band=band_label(c["icc_band"]), v=num(value))
    return _("%(criterion)s: alpha %(band)s (%(v)s)", criterion=label,
             band=band_label(c["alpha_band"]), v=num(c["alpha_interval"], 3))
