"""Tests of synthetic training data."""
