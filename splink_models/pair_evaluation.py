"""Evaluation against labelled pairs: the golden shape of (left id, right id, label, split).

Someone looked at each listed pair and said match (1) or not (0); nothing is
said about pairs not listed, so only the listed pairs are scored. A pair the
model's blocking rules never generate is never a match, whatever its score:
that is what the pipeline would do with it. So each pair arrives here with
its score (Splink's match weight) and whether blocking generates it, and its
label.

What is computed, all in plain Python (labelled pairs are made by people, so
there are thousands, not millions; the Spark side collects them):

- precision, recall and F1 at a threshold (a pair is a predicted match when
  it is generated and scores at least the threshold);
- the precision-recall curve, one point per distinct score;
- the F1-maximising threshold, chosen on one split and then reported on
  another (:func:`choose_and_report`): the threshold must not see the labels
  it is judged on;
- blocking pair completeness: the share of labelled matches that blocking
  generates, an upper bound on recall.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from splink_models.evaluation import f1


@dataclass(frozen=True)
class LabelledScore:
    """One labelled pair as the model saw it."""

    label: int  # 1 match, 0 not
    score: float | None  # match weight; None: the model could not score the pair
    generated: bool = True  # blocking makes the pair a candidate
    split: str | None = None

    @property
    def candidate_score(self) -> float | None:
        """The score a threshold is compared with: None when the pair can never be a match."""
        if not self.generated or self.score is None or math.isnan(self.score):
            return None
        return self.score


@dataclass(frozen=True)
class PairFigures:
    precision: float
    recall: float
    f1: float
    n_pairs: int
    n_matches: int
    n_predicted: int
    true_positives: int


@dataclass(frozen=True)
class CurvePoint:
    """Figures when every pair scoring at least ``threshold`` is predicted a match."""

    threshold: float
    precision: float
    recall: float
    f1: float


def probability_to_weight(p: float) -> float:
    """Splink's match weight for a match probability: log2 of the odds."""
    return math.log2(p / (1 - p))


def _check_labels(pairs: Sequence[LabelledScore]) -> None:
    bad = sorted({p.label for p in pairs} - {0, 1})
    if bad:
        raise ValueError(f"labels must be 0 or 1, got {bad}")


def figures_at(pairs: Sequence[LabelledScore], threshold: float) -> PairFigures:
    """Pairwise precision, recall and F1 when generated pairs scoring >= ``threshold`` match.

    Precision is 0 when nothing is predicted, recall 0 when there is no match.
    """
    _check_labels(pairs)
    predicted = [p for p in pairs if (s := p.candidate_score) is not None and s >= threshold]
    tp = sum(p.label for p in predicted)
    actual = sum(p.label for p in pairs)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / actual if actual else 0.0
    return PairFigures(
        precision=precision,
        recall=recall,
        f1=f1(precision, recall),
        n_pairs=len(pairs),
        n_matches=actual,
        n_predicted=len(predicted),
        true_positives=tp,
    )


def pr_curve(pairs: Sequence[LabelledScore]) -> list[CurvePoint]:
    """One point per distinct candidate score, from the highest threshold down.

    Each point admits every pair scoring at least its threshold; pairs that can
    never match (not generated, not scored) appear in no point's predictions
    but count in every point's recall denominator.
    """
    _check_labels(pairs)
    actual = sum(p.label for p in pairs)
    scored = sorted(
        ((s, p.label) for p in pairs if (s := p.candidate_score) is not None),
        key=lambda item: -item[0],
    )
    points: list[CurvePoint] = []
    tp = predicted = 0
    for i, (score, label) in enumerate(scored):
        tp += label
        predicted += 1
        if i + 1 < len(scored) and scored[i + 1][0] == score:
            continue  # a threshold admits every pair with the same score
        precision = tp / predicted
        recall = tp / actual if actual else 0.0
        points.append(CurvePoint(score, precision, recall, f1(precision, recall)))
    return points


def _best_index(curve: Sequence[CurvePoint]) -> int:
    """The curve point with the highest F1; among ties the highest threshold."""
    if not curve:
        raise ValueError("no scored, generated pair to choose a threshold from")
    return max(range(len(curve)), key=lambda i: (curve[i].f1, -i))


def best_point(pairs: Sequence[LabelledScore]) -> CurvePoint:
    """The F1-maximising point of the precision-recall curve (its threshold is a score)."""
    curve = pr_curve(pairs)
    return curve[_best_index(curve)]


def best_threshold(pairs: Sequence[LabelledScore]) -> float:
    """The F1-maximising threshold, halfway to the next lower score.

    Among thresholds with the same best F1 the highest wins (fewer predicted
    matches for the same F1). The threshold sits halfway between the lowest
    admitted score and the next lower one, so a new pair scoring between the
    two is judged by whichever it is nearer to; below the lowest score it is
    that score minus 1 (one bit of match weight).

    Raises:
        ValueError: when no pair has a candidate score to choose from.
    """
    curve = pr_curve(pairs)
    best = _best_index(curve)
    lowest_admitted = curve[best].threshold
    if best + 1 < len(curve):
        return (lowest_admitted + curve[best + 1].threshold) / 2
    return lowest_admitted - 1.0


def pair_completeness(pairs: Sequence[LabelledScore]) -> float | None:
    """Share of labelled matches that blocking generates (None without matches)."""
    matches = [p for p in pairs if p.label == 1]
    if not matches:
        return None
    return sum(1 for p in matches if p.generated) / len(matches)


def by_split(pairs: Iterable[LabelledScore]) -> dict[str | None, list[LabelledScore]]:
    out: dict[str | None, list[LabelledScore]] = {}
    for p in pairs:
        out.setdefault(p.split, []).append(p)
    return out


def choose_and_report(
    pairs: Sequence[LabelledScore], *, choose_on: str, report: Sequence[str]
) -> tuple[float, list[dict[str, Any]]]:
    """Threshold chosen on split ``choose_on``; figures of each split in ``report`` at it.

    Returns:
        The threshold and one row per reported split: split, precision, recall,
        f1, threshold, n_pairs, n_matches, n_predicted, pair_completeness.

    Raises:
        ValueError: naming the splits present when one asked for is absent.
    """
    splits = by_split(pairs)
    missing = [s for s in (choose_on, *report) if s not in splits]
    if missing:
        present = sorted(str(s) for s in splits)
        raise ValueError(f"labelled pairs have no split {missing} (splits present: {present})")
    threshold = best_threshold(splits[choose_on])
    rows = []
    for split in report:
        figures = figures_at(splits[split], threshold)
        rows.append(
            {
                "split": split,
                "precision": figures.precision,
                "recall": figures.recall,
                "f1": figures.f1,
                "threshold": threshold,
                "n_pairs": figures.n_pairs,
                "n_matches": figures.n_matches,
                "n_predicted": figures.n_predicted,
                "pair_completeness": pair_completeness(splits[split]),
            }
        )
    return threshold, rows


def curve_rows(pairs: Sequence[LabelledScore]) -> list[dict[str, float]]:
    """The precision-recall curve as JSON-ready rows."""
    return [asdict(point) for point in pr_curve(pairs)]


# --- golden clusters split into halves --------------------------------------------------
#
# With golden clusters (a closed world: every pair of one cluster is a match, every
# other pair is not) a threshold is chosen on half of the true clusters and judged on
# the other half. A cluster goes to a half by a seeded hash of its truth value, so the
# halves are the same on every run and no cluster is cut in two. Pairs across the
# halves are left out of both.

CALIBRATION = "calibration"
HOLDOUT = "holdout"


def half_of(truth: str, seed: int) -> str:
    """The half (CALIBRATION or HOLDOUT) a true cluster falls in, for a seed."""
    digest = hashlib.sha256(f"{seed}:{truth}".encode()).digest()
    return HOLDOUT if digest[0] % 2 else CALIBRATION


def cluster_figures(
    edges: Iterable[tuple[str, str]], truth: Mapping[str, str]
) -> dict[str, float | int | None]:
    """Pairwise figures of the clusters that ``edges`` make (connected components) on ``truth``.

    ``truth`` maps every record considered to its true cluster; edges with an
    end outside it are ignored. Returns precision, recall and f1 of the pairs
    the predicted clusters imply, and the largest predicted cluster.
    """
    parent = {record: record for record in truth}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        if a in parent and b in parent:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    predicted: dict[str, list[str]] = {}
    for record in truth:
        predicted.setdefault(root(record), []).append(record)
    implied = correct = 0
    true_sizes = Counter(truth.values())
    b_precision = b_recall = 0.0  # B-cubed: per record, summed over its cluster's members
    for members in predicted.values():
        implied += len(members) * (len(members) - 1) // 2
        sizes = Counter(truth[m] for m in members)
        correct += sum(n * (n - 1) // 2 for n in sizes.values())
        b_precision += sum(n * n for n in sizes.values()) / len(members)
        b_recall += sum(n * n / true_sizes[c] for c, n in sizes.items())
    actual = sum(n * (n - 1) // 2 for n in true_sizes.values())
    precision = correct / implied if implied else None
    recall = correct / actual if actual else None
    bp = b_precision / len(truth) if truth else None
    br = b_recall / len(truth) if truth else None
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1(precision, recall),
        "bcubed_precision": bp,
        "bcubed_recall": br,
        "bcubed_f1": f1(bp, br),
        "largest": max((len(m) for m in predicted.values()), default=0),
    }
