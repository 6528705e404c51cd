"""The verdict table at the top of docs/RESULTS.md: each of the paper's claims, the closest
experiment run here, the measured number, and whether the claim holds at this scale.

- a speed-up claim of F holds when our mean speed-up is at least F / 2 and exceeds 1 by more than
  its spread over seeds; it does not hold otherwise;
- an accuracy claim of +a to +b points holds when the mean paired gain is at least a and larger
  than its spread; it does not hold otherwise;
- a qualitative claim holds when the difference exceeds both settings' spreads."""
from collections import namedtuple

Row = namedtuple("Row", "claim experiment measured verdict")

RULES = __doc__.split("\n\n", 1)[1]


def speedup_verdict(mean, std, claimed, reached, compared):
    if compared == 0:
        return "not tested at this scale"
    if reached == compared and mean >= claimed / 2 and mean - std > 1.0:
        return "holds"
    return "does not hold at this scale"


def accuracy_verdict(mean, std, low):
    return "holds" if mean >= low and mean > std else "does not hold at this scale"


def table(rows):
    lines = ["| the paper's claim | closest experiment here | measured (mean ± std over seeds) | verdict |",
             "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.claim} | {r.experiment} | {r.measured} | **{r.verdict}** |")
    return lines
