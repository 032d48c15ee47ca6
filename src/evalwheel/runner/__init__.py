"""Evaluation runs: a system over a dataset version, resumable, with every item counted."""
