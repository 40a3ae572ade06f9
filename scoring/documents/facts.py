"""What a signed document says that matters, as plain data kept beside it for /verify.

Built from the same context the document is rendered from, at the moment it is sealed, so
the verification page shows what the paper must say: a sheet's level per criterion and its
total; a recap's final score and its inputs; the minutes' candidates with final scores.
Never a NIK, an examiner's or a candidate's name: participant numbers only.
"""

from __future__ import annotations

__all__ = ["document_facts"]


def document_facts(kind: str, data: dict) -> dict:
    """Return the facts of a document of ``kind`` rendered from context ``data``."""
    if kind == "sheet":
        return {"criteria": [{"code": c["code"], "name": c["name"], "level": c["level"]}
                             for c in data["criteria"]],
                "total": data["total"]}
    if kind == "recap":
        override = data["override"]
        return {"criteria": [{"code": c["code"], "name": c["name"], "weight": c["weight"],
                              "mean": c["mean"]} for c in data["criteria"]],
                "computed_score": data["computed_score"], "final_score": data["final_score"],
                "overridden": override is not None, "submitted": data["submitted"],
                "quorum": data["quorum"], "method": data["rubric"]["method"]}
    if kind == "minutes":
        return {"panels": [{"name": p["name"],
                            "candidates": [{"participant_number": c["participant_number"],
                                            "status": c["status"],
                                            "final_score": c["final_score"]}
                                           for c in p["candidates"]]}
                           for p in data["panels"]]}
    if kind == "result":  # a candidate's own explained result (issue 16)
        return {"participant_number": data["candidate"]["participant_number"],
                "final_score": data["final_score"], "computed_score": data["computed_score"],
                "overridden": data["override"] is not None,
                "position_rank": data["position_rank"], "examiners": data["examiners"],
                "criteria": [{"code": c["code"], "name": c["name"], "weight": c["weight"],
                              "mean": c["mean"]} for c in data["criteria"]]}
    raise ValueError(f"kind: expected 'sheet', 'recap', 'minutes' or 'result', got {kind!r}")
