"""evalwheel: the evaluation flywheel for LLM agents."""

__version__ = "0.1.0"
