"""Human labels in long format (one row per item × annotator), with adjudicated labels kept beside
the raw ones: reading files, storing them, and loading them back as rating tables."""
