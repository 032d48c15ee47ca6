"""Datasets: import with precise errors, immutable versions, stable splits, diff and export."""
