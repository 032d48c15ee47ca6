"""Statistics with referenced formulas, on numpy/scipy."""
