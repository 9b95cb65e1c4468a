"""The promotion gate: every criterion checked, each refusal names its numbers."""

from __future__ import annotations

import pytest

from splink_models.gate import apply_gate

GATE = {"max_precision_drop": 0.005, "min_f1_gain": 0.0}


@pytest.mark.parametrize(
    ("champion", "challenger", "promote", "failed"),
    [
        # better on both: promoted
        ({"precision": 0.98, "f1": 0.97}, {"precision": 0.985, "f1": 0.975}, True, []),
        # precision falls within the allowance and F1 rises: promoted
        ({"precision": 0.98, "f1": 0.97}, {"precision": 0.976, "f1": 0.972}, True, []),
        # the same figures (e.g. the same pairs): F1 gain 0 passes a gate of 0
        ({"precision": 0.98, "f1": 0.97}, {"precision": 0.98, "f1": 0.97}, True, []),
        # F1 rises but precision falls too much: refused on precision only
        (
            {"precision": 0.98, "f1": 0.90},
            {"precision": 0.95, "f1": 0.95},
            False,
            ["max_precision_drop"],
        ),
        # precision holds but F1 falls: refused on F1 only
        ({"precision": 0.98, "f1": 0.97}, {"precision": 0.99, "f1": 0.96}, False, ["min_f1_gain"]),
        # worse on both: both reasons
        (
            {"precision": 0.98, "f1": 0.97},
            {"precision": 0.90, "f1": 0.80},
            False,
            ["max_precision_drop", "min_f1_gain"],
        ),
        # nothing predicted: no precision, refused
        (
            {"precision": 0.98, "f1": 0.97},
            {"precision": None, "f1": None},
            False,
            ["max_precision_drop", "min_f1_gain"],
        ),
    ],
)
def test_gate_decisions(champion, challenger, promote, failed):
    decision = apply_gate(champion, challenger, **GATE)
    assert decision.promote is promote
    assert [c.criterion for c in decision.checks if not c.passed] == failed
    assert len(decision.reasons) == len(failed)
    assert [c.criterion for c in decision.checks] == ["max_precision_drop", "min_f1_gain"]


def test_a_refusal_says_which_criterion_failed_with_the_numbers():
    decision = apply_gate(
        {"precision": 0.9802, "f1": 0.97}, {"precision": 0.9612, "f1": 0.975}, **GATE
    )
    assert decision.reasons == [
        "max_precision_drop: precision 0.9612 vs champion 0.9802: drop 0.0190 > allowed 0.0050"
    ]
    assert "min_f1_gain ok" in decision.summary()


def test_a_required_f1_gain_refuses_a_tie():
    decision = apply_gate(
        {"precision": 0.98, "f1": 0.97},
        {"precision": 0.98, "f1": 0.97},
        max_precision_drop=0.005,
        min_f1_gain=0.01,
    )
    assert not decision.promote
    assert decision.reasons == [
        "min_f1_gain: F1 0.9700 vs champion 0.9700: gain +0.0000 < required +0.0100"
    ]
