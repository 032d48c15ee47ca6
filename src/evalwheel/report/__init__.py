"""Reports of a run: JSON (the data), Markdown (pull-request comments), HTML (one self-contained file)."""
