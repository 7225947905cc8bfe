"""Grading: the shared deterministic detectors (and, later, rubric and judge)."""

from grading.detectors import Detection, OfferPolicy, OfferTerm, Signal, SignalKind, detect

__all__ = ["Detection", "OfferPolicy", "OfferTerm", "Signal", "SignalKind", "detect"]
