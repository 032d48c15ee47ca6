"""The front door: typed functions for everything evalwheel does; the CLI is a thin mirror."""

from evalwheel.api.comparison import compare
from evalwheel.api.contamination import contamination
from evalwheel.api.datasets import import_dataset, import_examples, split_dataset
from evalwheel.api.evaluation import aevaluate, aresume, evaluate, resume
from evalwheel.api.gating import agate, gate
from evalwheel.api.projects import open_project
from evalwheel.api.reporting import render_report, write_report
from evalwheel.api.simulation import extract_essences, simulate
from evalwheel.api.simulation_report import simulation_report
from evalwheel.api.traffic import TrafficImport, import_traffic

__all__ = [
    "TrafficImport",
    "aevaluate",
    "agate",
    "aresume",
    "compare",
    "contamination",
    "evaluate",
    "extract_essences",
    "gate",
    "import_dataset",
    "import_examples",
    "import_traffic",
    "open_project",
    "render_report",
    "resume",
    "simulate",
    "simulation_report",
    "split_dataset",
    "write_report",
]
