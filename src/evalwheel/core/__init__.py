"""The core records: what every capability stores, versions and reproduces.

Records are pydantic models so that every boundary (files, HTTP, the store, the CLI's JSON) validates
the same way. Content-addressed records (examples, dataset versions, systems, judges) derive their id
from a canonical hash of their content, so the same content always gets the same id on any machine.
"""

from evalwheel.core.dataset import DatasetKind, DatasetRef, DatasetVersion
from evalwheel.core.example import Example
from evalwheel.core.hashing import canonical_json, content_hash
from evalwheel.core.job import Job, JobStatus
from evalwheel.core.judge import Calibration, Judge, JudgeKind
from evalwheel.core.label import Label
from evalwheel.core.mirror import MirrorPair, PairAnalysis, PairSide, ReviewItem
from evalwheel.core.run import Run, RunStatus, Score, Trace
from evalwheel.core.system import System

__all__ = [
    "Calibration",
    "DatasetKind",
    "DatasetRef",
    "DatasetVersion",
    "Example",
    "Job",
    "JobStatus",
    "Judge",
    "JudgeKind",
    "Label",
    "MirrorPair",
    "PairAnalysis",
    "PairSide",
    "ReviewItem",
    "Run",
    "RunStatus",
    "Score",
    "System",
    "Trace",
    "canonical_json",
    "content_hash",
]
