"""The promotion gate: may a challenger model replace the champion?

Both models are measured on the same golden data at the same threshold
(pairwise precision, recall and F1, as ``splink_models.evaluation`` reports
them); the gate compares the two reports. Every criterion is checked and
reported, passed or not, so a refusal names each reason with its numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Float noise: two evaluations of the same pairs must compare equal.
_EPSILON = 1e-9


@dataclass(frozen=True)
class GateCheck:
    criterion: str  # the config key under lifecycle.gate
    passed: bool
    detail: str  # the numbers, in words


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    checks: tuple[GateCheck, ...]

    @property
    def reasons(self) -> list[str]:
        """Why the challenger was refused: one line per failed criterion (empty if promoted)."""
        return [f"{c.criterion}: {c.detail}" for c in self.checks if not c.passed]

    def summary(self) -> str:
        verdict = "promote" if self.promote else "refuse"
        return f"{verdict}: " + "; ".join(
            f"{c.criterion} {'ok' if c.passed else 'FAILED'} ({c.detail})" for c in self.checks
        )


def _metric(report: Mapping[str, Any], key: str) -> float | None:
    value = report.get(key)
    return None if value is None else float(value)


def apply_gate(
    champion: Mapping[str, Any],
    challenger: Mapping[str, Any],
    *,
    max_precision_drop: float,
    min_f1_gain: float,
) -> GateDecision:
    """Promote only when precision falls at most ``max_precision_drop`` and F1 rises by ``min_f1_gain``.

    ``min_f1_gain`` 0 means F1 must not fall. A missing metric (e.g. no pair
    predicted, so no precision) fails its criterion.
    """
    checks = []
    p_champ, p_chall = _metric(champion, "precision"), _metric(challenger, "precision")
    if p_champ is None or p_chall is None:
        checks.append(
            GateCheck("max_precision_drop", False, f"precision missing: {p_chall} vs {p_champ}")
        )
    else:
        drop = p_champ - p_chall
        ok = drop <= max_precision_drop + _EPSILON
        checks.append(
            GateCheck(
                "max_precision_drop",
                ok,
                f"precision {p_chall:.4f} vs champion {p_champ:.4f}: drop {drop:.4f} "
                f"{'<=' if ok else '>'} allowed {max_precision_drop:.4f}",
            )
        )
    f_champ, f_chall = _metric(champion, "f1"), _metric(challenger, "f1")
    if f_champ is None or f_chall is None:
        checks.append(GateCheck("min_f1_gain", False, f"F1 missing: {f_chall} vs {f_champ}"))
    else:
        gain = f_chall - f_champ
        ok = gain >= min_f1_gain - _EPSILON
        checks.append(
            GateCheck(
                "min_f1_gain",
                ok,
                f"F1 {f_chall:.4f} vs champion {f_champ:.4f}: gain {gain:+.4f} "
                f"{'>=' if ok else '<'} required {min_f1_gain:+.4f}",
            )
        )
    return GateDecision(promote=all(c.passed for c in checks), checks=tuple(checks))
