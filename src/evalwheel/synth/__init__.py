"""Synthetic training data: sample production artifacts, write requests, verify, decontaminate."""
