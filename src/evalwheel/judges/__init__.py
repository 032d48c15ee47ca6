"""Judges: versioned LLM judges (pointwise and pairwise), panels with arbitration and escalation,
their calibration against human labels on a golden set, promotion and drift checks."""
