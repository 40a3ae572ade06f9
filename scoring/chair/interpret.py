"""Plain-language readings of the agreement report, for chairs who are not statisticians.

Built only from the report's stable codes (bands, flag codes) and figures, with translatable
strings (English msgids, Indonesian catalog), so the words never drift from the numbers.
Bands: Koo & Li (2016) for the ICC, Krippendorff (2004) for alpha; see
:mod:`scoring.chair.agreement_report`.
"""

from __future__ import annotations

import math

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import charts
from ..charts.wright_map import wright_map
from ..i18n import band_scale
from ..i18n import band_word as band_label
from ..rules import bands
from ..rules.bands import ALPHA, ICC

FLAG_LABELS = {
    "lenient": _l("Lenient"), "severe": _l("Severe"), "inconsistent": _l("Inconsistent"),
    "central_tendency": _l("Central tendency"), "halo": _l("Halo"),
}
# The softer tier: clear evidence of a smaller tendency (scoring.stats.rater_effects "watch").
WATCH_LABELS = {"lenient": _l("Slightly lenient (watch)"),
                "severe": _l("Slightly severe (watch)")}
SHEET_STATE_LABELS = {
    "not_started": _l("Not started"), "draft": _l("Draft"), "submitted": _l("Submitted"),
    "recused": _l("Recused"), "absent": _l("Absent"),
}
CANDIDATE_STATUS_LABELS = {
    "pending": _l("Scoring"), "discussion": _l("In discussion"), "closed": _l("Closed"),
    "absent": _l("Candidate absent"), "withdrawn": _l("Candidate withdrew"),
    "not_assessable": _l("Not assessable"),
}


def num(value, digits: int = 2) -> str:
    """Return ``value`` in the current locale with ``digits`` decimals ("–" when missing)."""
    if value is None or not math.isfinite(value):
        return "–"
    if round(value, digits) == 0:
        value = 0.0  # "-0,00" reads as a negative number to a chair; it is zero
    return format_decimal(value, "0." + "0" * digits if digits else "0")


def signed(value, digits: int = 2) -> str:
    """Return ``value`` with an explicit sign ("+0,76")."""
    if value is None or not math.isfinite(value):
        return "–"
    pattern = "0." + "0" * digits
    return format_decimal(value, f"+{pattern};-{pattern}")


def pct(value) -> str:
    """Return a share as a percentage in the current locale."""
    if value is None or not math.isfinite(value):
        return "–"
    return format_percent(value, "0%")


def outcome(code) -> str:
    """Return the translated word for a candidate marked out of the ranking."""
    from ..i18n import OUTCOME_WORDS

    return str(OUTCOME_WORDS.get(code, code))


def chart_bands() -> tuple[tuple[float, float, str], ...]:
    """Return the ICC bands as (low, high, words) for the charts, from the one band table."""
    return tuple((low, high, band_label(code)) for low, high, code in bands.chart_bands(ICC))


def bands_text() -> str:
    """Return the note under the agreement tables: both band scales, in words."""
    return " ".join((
        _("ICC bands (Koo & Li 2016): %(scale)s; read the %(ci)s confidence interval, not only "
          "the point.", scale=band_scale(ICC.name), ci="95%"),
        _("Krippendorff's alpha bands (Krippendorff 2004): %(scale)s.",
          scale=band_scale(ALPHA.name))))


def coefficient_reading(c: dict) -> list[str]:
    """Return sentences reading one row of coefficients (a criterion or overall)."""
    out = []
    i1, ik = c["icc21"], c["icc2k"]
    if i1["value"] is not None:
        out.append(_("One examiner alone: %(band)s agreement (ICC(2,1) = %(v)s).",
                          band=band_label(c["icc_band"]), v=num(i1["value"])))
    if ik["value"] is not None:
        out.append(_("The panel's mean score: %(band)s reliability (ICC(2,k) = %(v)s).",
                          band=band_label(c["icc2k_band"]), v=num(ik["value"])))
    lo, hi = c["icc_band_ci"]
    if lo and hi and lo != hi:
        out.append(_("The interval is wide (from %(lo)s to %(hi)s): more candidates will "
                          "make this firmer.", lo=band_label(lo), hi=band_label(hi)))
    if c["alpha_interval"] is not None:
        out.append(_("Krippendorff's alpha %(v)s: %(band)s.", v=num(c["alpha_interval"], 3),
                          band=band_label(c["alpha_band"])))
    if c.get("exact_agreement") is not None:
        out.append(_("%(exact)s of pairs of examiners gave the same level; %(adj)s were at "
                          "most one level apart.", exact=pct(c["exact_agreement"]),
                          adj=pct(c["adjacent_agreement"])))
    return out


def examiner_sentences(e: dict, min_candidates: int) -> list[str]:
    """Return why an examiner is flagged (or that they are in line), for a non-statistician."""
    name = e["name"]
    out = []
    for flag in e["flag_details"]:
        f, code = flag["figures"], flag["code"]
        if code in ("lenient", "severe"):
            figures = {"name": name, "points": num(abs(f["deviation"])), "z": num(f["z"], 1)}
            out.append(_("%(name)s scores on average %(points)s points higher than the other "
                         "panelists on the same candidates (z = %(z)s); review their anchors "
                         "with them.", **figures) if code == "lenient" else
                       _("%(name)s scores on average %(points)s points lower than the other "
                         "panelists on the same candidates (z = %(z)s); review their anchors "
                         "with them.", **figures))
            out += rasch_evidence_sentence(name, f)
        elif code == "inconsistent":
            out.append(_(
                "The scores of %(name)s scatter %(fit)s times as much around the panel's "
                "consensus as a typical panelist's (correlation with the rest of the panel "
                "%(r)s); go through the candidates where they differed most and compare the "
                "evidence each examiner noted.", name=name, fit=num(f["fit"]),
                r=num(f["rest_correlation"])))
        elif code == "central_tendency":
            out.append(_(
                "%(name)s gives %(mid)s of their scores in the middle of the scale (the others "
                "%(pmid)s) and spreads scores only %(sd)s times as widely as the others; remind "
                "them that the outer levels are meant to be used whenever the anchor fits the "
                "evidence.", name=name, mid=pct(f["middle_share"]),
                pmid=pct(f["panel_middle_share"]), sd=num(f["sd_ratio"])))
        elif code == "halo":
            out.append(_(
                "%(name)s gives much the same score to every criterion of a candidate (variation "
                "across criteria %(halo)s times the panel's usual); ask them to score each "
                "criterion on its own evidence.", name=name, halo=num(f["halo"])))
    out += watch_sentences(e)
    if not out and e.get("note"):
        out.append(_("Not assessed yet: %(name)s has been compared on %(n)s candidates; "
                          "flags need at least %(min)s.", name=name, n=e["n_candidates"],
                          min=min_candidates))
    if not out:
        out.append(_("%(name)s is in line with the rest of the panel.", name=name))
    return out


def watch_sentences(e: dict) -> list[str]:
    """Return the softer sentences of the watch tier (no flag: something to keep an eye on)."""
    out = []
    for finding in e.get("watch_details", []):
        f = finding["figures"]
        figures = {"name": e["name"], "points": num(abs(f["deviation"])), "z": num(f["z"], 1)}
        if finding["code"] == "lenient":
            out.append(_("%(name)s tends to score a little higher than the other panelists on "
                         "the same candidates (on average %(points)s points, z = %(z)s): not "
                         "enough for a flag, but worth keeping an eye on.", **figures))
        else:
            out.append(_("%(name)s tends to score a little lower than the other panelists on "
                         "the same candidates (on average %(points)s points, z = %(z)s): not "
                         "enough for a flag, but worth keeping an eye on.", **figures))
        out += rasch_evidence_sentence(e["name"], f)
    return out


def rasch_evidence_sentence(name: str, figures: dict) -> list[str]:
    """Return the sentence saying a leniency finding rests on the Rasch severity, if it does."""
    if figures.get("rasch_z") is None:
        return []
    return [_("The finding rests on the severity measure of %(name)s in the many-facet Rasch "
              "model (%(measure)s logits, standard error %(se)s, z = %(z)s), which allows for "
              "which candidates each examiner met.", name=name,
              measure=num(figures["rasch_measure"]), se=num(figures["rasch_se"]),
              z=num(figures["rasch_z"], 1))]


def dstudy_reading(d: dict) -> str:
    """Return how many examiners reach the chair's target reliability."""
    target = num(d["target"])
    if d["needed_phi"] is not None:
        return _("With %(n)s examiners the panel's mean score reaches the target "
                      "reliability of %(t)s (Φ, which also counts differences in examiners' "
                      "severity); this panel has %(k)s.", n=d["needed_phi"], t=target,
                      k=d["current"])
    rows = d["rows"]
    last = rows[-1]["phi"] if rows else None
    return _("Even %(n)s examiners would not reach %(t)s (Φ = %(phi)s): improve the anchors "
                  "and train the examiners rather than adding more of them.",
                  n=rows[-1]["n_examiners"] if rows else 8, t=target, phi=num(last))


def drift_sentences(drift: dict | None, threshold: float = 0.5) -> list[str]:
    """Return a sentence per examiner whose deviation moved by ``threshold`` points or more."""
    if not drift or len(drift["blocks"]) < 2:
        return []
    out = []
    for e in drift["examiners"]:
        first, last = e["deviation"][0], e["deviation"][-1]
        if first is not None and last is not None and abs(last - first) >= threshold:
            out.append(_("%(name)s moved from %(a)s to %(b)s points against the rest of the "
                              "panel between the first and the last part of the day.",
                              name=e["name"], a=signed(first), b=signed(last)))
    return out


def panel_charts(report: dict) -> dict[str, str]:
    """Return the report's four charts as SVG strings (identical in page and PDF).

    Long because it gives each of the four charts its rows and its translated title,
    description and labels, one call each; the drawing itself is in :mod:`scoring.charts`.
    """
    if report.get("analysis") is None:
        return {}
    pid = report["panel"]["id"]
    examiners = report["examiners"]
    forest_rows = [{"label": e["name"], "value": e["deviation"], "low": e["ci_low"],
                    "high": e["ci_high"], "flag": bool(e["flags"])} for e in examiners]
    names = {c["code"]: c["code"] for c in report["criteria"]}
    rows = [{"label": names.get(c["label"], c["label"]), "value": c["icc21"]["value"],
             "low": c["icc21"]["ci_low"], "high": c["icc21"]["ci_high"],
             "alpha": c["alpha_interval"]} for c in [*report["per_criterion"], report["overall"]]]
    rows[-1]["label"] = _("Overall")
    dist = [{"label": d["name"], "counts": d["counts"]} for d in report["distribution"]]
    levels = report["distribution"][0]["levels"] if report["distribution"] else []
    d = report["d_study"]
    return {
        "forest": charts.forest(
            forest_rows, chart_id=f"forest-{pid}", fmt=num, flag_text="⚑",
            title=_("Examiner deviation from the rest of the panel"),
            desc=_("Mean difference in score points between each examiner and the other "
                        "panelists on the same candidates and criteria, with %(ci)s confidence "
                        "intervals. Flagged examiners are marked with a square and a flag.",
                        ci="95%"),
            axis_label=_("← more severe · score points · more lenient →")),
        "distribution": charts.distribution(
            dist, levels, chart_id=f"dist-{pid}", fmt_pct=pct,
            title=_("Score distribution per examiner"),
            desc=_("Share of each level in each examiner's independent scores."),
            legend_label=_("Level"), n_label=lambda n: f"n = {n}"),
        "agreement": charts.agreement(
            rows, chart_id=f"agree-{pid}", fmt=num,
            bands=chart_bands(),
            legend=(_("ICC(2,1) with 95% CI"), _("Krippendorff's alpha")),
            title=_("Agreement per criterion"),
            desc=_("ICC(2,1) with its %(ci)s confidence interval and Krippendorff's interval "
                        "alpha per criterion, against the Koo & Li (2016) bands.", ci="95%")),
        "dstudy": charts.dstudy(
            d["rows"], chart_id=f"dstudy-{pid}", fmt=num, target=d["target"],
            current=d["current"],
            labels={"g": _("G (ranking)"), "phi": _("Φ (absolute)"),
                    "target": _("target"), "current": _("this panel"),
                    "x": _("examiners per panel"), "y": _("reliability")},
            title=_("Reliability of the panel mean by number of examiners"),
            desc=_("D study: projected reliability of the panel's mean score for 1 to 8 "
                        "examiners, with the chosen target.")),
    }


def session_chart(report: dict) -> str:
    """Return the session's chart: ICC(2,1) of the mean score per panel, with its CI."""
    rows = [{"label": p["panel"]["name"],
             "value": p["overall"]["icc21"]["value"] if p.get("analysis") else None,
             "low": p["overall"]["icc21"]["ci_low"] if p.get("analysis") else None,
             "high": p["overall"]["icc21"]["ci_high"] if p.get("analysis") else None,
             "flag": bool(p.get("analysis")) and p["overall"]["icc_band"] == ICC.lowest.code}
            for p in report["panels"]]
    edge = ICC.lowest.upper  # the lower edge of the band above the lowest
    return charts.forest(
        rows, chart_id=f"session-{report['session']['id']}", fmt=num, ref=edge, signed=False,
        domain=(min([0.0] + [r["low"] for r in rows if r["low"] is not None]), 1.0),
        flag_text="⚑", title=_("Agreement per panel"),
        desc=_("ICC(2,1) of each panel's mean score over the criteria, with %(ci)s confidence "
               "intervals; the line marks %(edge)s, the lower edge of %(band)s agreement.",
               ci="95%", edge=num(edge), band=band_label(ICC.bands[1].code)),
        axis_label=_("ICC(2,1), overall score"))


SEVERITY_LABELS = {
    "harsher": _l("harsher than average"), "more_lenient": _l("more lenient than average"),
    "typical": _l("severity in the usual range"),
}
FIT_LABELS = {
    "erratic": _l("erratic: scores less predictable than the model expects"),
    "predictable": _l("too predictable: little use of the scale, or the same score everywhere"),
    "consistent": _l("consistent"),
}
RASCH_REASONS = {
    "categories": _l("Every score uses the same level: there is nothing to measure."),
    "disconnected": _l("The scores fall into groups of examiners and candidates that share no "
                       "one, so they cannot be put on one scale. The groups:"),
    "confounded": _l("Examiners and criteria cannot be told apart: the examiners scored "
                     "different criteria."),
    "extremes": _l("Too many candidates or examiners gave or received only the lowest or only "
                   "the highest level to estimate the rating scale."),
}


def rasch_reading(e: dict) -> str:
    """Return an examiner's Rasch row in plain words: severity, then fit."""
    parts = [str(SEVERITY_LABELS[e["severity"]])] if e.get("severity") else []
    if e.get("fit"):
        parts.append(str(FIT_LABELS[e["fit"]]))
    return "; ".join(parts) or "–"


def rasch_chart(report: dict) -> str:
    """Return the Wright map of a panel report's Rasch block ("" when not estimated)."""
    rasch = report.get("rasch")
    if not rasch or not rasch["estimated"]:
        return ""
    examiners = [{"label": e["name"], "measure": e["measure"],
                  "flag": e["fit"] in ("erratic", "predictable")} for e in rasch["examiners"]]
    criteria = [{"label": c["id"], "measure": c["measure"]} for c in rasch["criteria"]]
    return wright_map(
        [c["measure"] for c in rasch["candidates"] if c["measure"] is not None],
        examiners, criteria, chart_id=f"wright-{report['panel']['id']}", fmt=num,
        flag_text="⚑", axis_label=_("logits"),
        headings=((_("Candidates"), _("more able")), (_("Examiners"), _("harsher")),
                  (_("Criteria"), _("harder"))),
        title=_("Wright map: candidates, examiners and criteria on one scale"),
        desc=_("Many-facet Rasch measures in logits on one vertical ruler: the number of "
               "candidates at each level of ability, each examiner's severity and each "
               "criterion's difficulty. Examiners whose fit is outside 0.7 to 1.3 with a "
               "standardised value beyond ±2 are marked with a square and a flag."))
