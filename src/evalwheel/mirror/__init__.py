"""Production mirroring: the same traffic through the current and a candidate system."""
