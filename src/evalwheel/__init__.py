"""evalwheel: the evaluation flywheel for LLM agents.

The library is the front door; everything is importable from here::

    import evalwheel as ew

    result = ew.evaluate("my-agent", "my-dataset", scorers=["exact_match"])
    print(result.pass_rate("exact_match"))   # Estimate(estimate, ci_low, ci_high, n)

Names are loaded on first use, so ``import evalwheel`` stays cheap for the CLI.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # projects and datasets
    "Project": "evalwheel.project",
    "open_project": "evalwheel.api.projects",
    "import_dataset": "evalwheel.api.datasets",
    "import_examples": "evalwheel.api.datasets",
    "split_dataset": "evalwheel.api.datasets",
    "import_traffic": "evalwheel.api.traffic",
    "TrafficImport": "evalwheel.api.traffic",
    "contamination": "evalwheel.api.contamination",
    "ContaminationReport": "evalwheel.datasets.contamination",
    "SplitReport": "evalwheel.datasets.splits",
    "Example": "evalwheel.core.example",
    "DatasetVersion": "evalwheel.core.dataset",
    "System": "evalwheel.core.system",
    # runs
    "evaluate": "evalwheel.api.evaluation",
    "aevaluate": "evalwheel.api.evaluation",
    "resume": "evalwheel.api.evaluation",
    "aresume": "evalwheel.api.evaluation",
    "compare": "evalwheel.api.comparison",
    "gate": "evalwheel.api.gating",
    "agate": "evalwheel.api.gating",
    "render_report": "evalwheel.api.reporting",
    "write_report": "evalwheel.api.reporting",
    # mirroring
    "mirror_replay": "evalwheel.api.mirroring",
    "amirror_replay": "evalwheel.api.mirroring",
    "mirror_compare": "evalwheel.api.mirroring",
    "amirror_compare": "evalwheel.api.mirroring",
    "mirror_summary": "evalwheel.api.mirroring",
    "mirror_status": "evalwheel.api.mirroring",
    "mirror_gap": "evalwheel.api.mirroring",
    "amirror_gap": "evalwheel.api.mirroring",
    "gap_from_runs": "evalwheel.api.mirroring",
    "mirror_export": "evalwheel.api.mirroring",
    "mirror_review": "evalwheel.api.mirroring",
    "mirrors": "evalwheel.api.mirroring",
    "render_mirror_report": "evalwheel.api.mirroring",
    "write_mirror_report": "evalwheel.api.mirroring",
    "MirrorReportData": "evalwheel.report.mirror_report",
    "MirrorResult": "evalwheel.api.mirroring",
    "MirrorSummary": "evalwheel.mirror.summary",
    "Readiness": "evalwheel.mirror.readiness",
    "ReadinessRule": "evalwheel.mirror.readiness",
    "Gap": "evalwheel.mirror.gap",
    "MirrorPair": "evalwheel.core.mirror",
    # synthetic data
    "synthesize": "evalwheel.api.synthesis",
    "asynthesize": "evalwheel.api.synthesis",
    "SynthResult": "evalwheel.synth.models",
    "synth_failures": "evalwheel.api.synthesis_data",
    "asynth_failures": "evalwheel.api.synthesis_data",
    "FailuresResult": "evalwheel.api.synthesis_data",
    "export_training_data": "evalwheel.api.synthesis_data",
    "ExportResult": "evalwheel.synth.export",
    # training
    "train": "evalwheel.api.training",
    "TrainConfig": "evalwheel.training.models",
    "TrainResult": "evalwheel.training.models",
    "TrainProgress": "evalwheel.training.models",
    "TrainingConversation": "evalwheel.training.models",
    "register_trained": "evalwheel.api.trained_models",
    "trained_models": "evalwheel.api.trained_models",
    "set_trained_status": "evalwheel.api.trained_models",
    "TrainedModel": "evalwheel.core.trained",
    "promote": "evalwheel.api.promotion",
    "apromote": "evalwheel.api.promotion",
    "Promotion": "evalwheel.api.promotion",
    # simulated users
    "simulate": "evalwheel.api.simulation",
    "asimulate": "evalwheel.api.simulation",
    "extract_essences": "evalwheel.api.simulation",
    "aextract_essences": "evalwheel.api.simulation",
    "EssenceExtraction": "evalwheel.api.simulation",
    "simulation_report": "evalwheel.api.simulation_report",
    "asimulation_report": "evalwheel.api.simulation_report",
    "SimulationReport": "evalwheel.api.simulation_report",
    "Essence": "evalwheel.simulate.models",
    "SimulationSpec": "evalwheel.simulate.models",
    # judges and labels
    "calibrate": "evalwheel.judges.api",
    "acalibrate": "evalwheel.judges.api",
    "check_drift": "evalwheel.judges.api",
    "acheck_drift": "evalwheel.judges.api",
    "agreement": "evalwheel.judges.api",
    "import_labels": "evalwheel.judges.api",
    "CalibrationResult": "evalwheel.judges.api",
    "DriftResult": "evalwheel.judges.api",
    "AgreementReport": "evalwheel.judges.api",
    # results
    "Estimate": "evalwheel.runner.results",
    "RunResult": "evalwheel.runner.results",
    "RunSummary": "evalwheel.runner.results",
    "ScorerSummary": "evalwheel.runner.results",
    "RunProgress": "evalwheel.runner.results",
    "Comparison": "evalwheel.runner.compare",
    "GateVerdict": "evalwheel.runner.gates",
    # extension points
    "App": "evalwheel.apps.interface",
    "AppOutput": "evalwheel.apps.interface",
    "CheckResult": "evalwheel.apps.interface",
    "scorer": "evalwheel.runner.scorers",
    # errors
    "EvalwheelError": "evalwheel.errors",
    "InputError": "evalwheel.errors",
    "NotFoundError": "evalwheel.errors",
    "ConflictError": "evalwheel.errors",
    "CheckFailed": "evalwheel.errors",
    "StoppedError": "evalwheel.errors",
}

__all__ = [
    "AgreementReport",
    "App",
    "AppOutput",
    "CalibrationResult",
    "CheckFailed",
    "CheckResult",
    "Comparison",
    "ConflictError",
    "ContaminationReport",
    "DatasetVersion",
    "DriftResult",
    "Essence",
    "EssenceExtraction",
    "Estimate",
    "EvalwheelError",
    "Example",
    "ExportResult",
    "FailuresResult",
    "Gap",
    "GateVerdict",
    "InputError",
    "MirrorPair",
    "MirrorReportData",
    "MirrorResult",
    "MirrorSummary",
    "NotFoundError",
    "Project",
    "Promotion",
    "Readiness",
    "ReadinessRule",
    "RunProgress",
    "RunResult",
    "RunSummary",
    "ScorerSummary",
    "SimulationReport",
    "SimulationSpec",
    "SplitReport",
    "StoppedError",
    "SynthResult",
    "System",
    "TrafficImport",
    "TrainConfig",
    "TrainProgress",
    "TrainResult",
    "TrainedModel",
    "TrainingConversation",
    "__version__",
    "acalibrate",
    "acheck_drift",
    "aevaluate",
    "aextract_essences",
    "agate",
    "agreement",
    "amirror_compare",
    "amirror_gap",
    "amirror_replay",
    "apromote",
    "aresume",
    "asimulate",
    "asimulation_report",
    "asynth_failures",
    "asynthesize",
    "calibrate",
    "check_drift",
    "compare",
    "contamination",
    "evaluate",
    "export_training_data",
    "extract_essences",
    "gap_from_runs",
    "gate",
    "import_dataset",
    "import_examples",
    "import_labels",
    "import_traffic",
    "mirror_compare",
    "mirror_export",
    "mirror_gap",
    "mirror_replay",
    "mirror_review",
    "mirror_status",
    "mirror_summary",
    "mirrors",
    "open_project",
    "promote",
    "register_trained",
    "render_mirror_report",
    "render_report",
    "resume",
    "scorer",
    "set_trained_status",
    "simulate",
    "simulation_report",
    "split_dataset",
    "synth_failures",
    "synthesize",
    "train",
    "trained_models",
    "write_mirror_report",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evalwheel' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from evalwheel.api.comparison import compare
    from evalwheel.api.contamination import contamination
    from evalwheel.api.datasets import import_dataset, import_examples, split_dataset
    from evalwheel.api.evaluation import aevaluate, aresume, evaluate, resume
    from evalwheel.api.gating import agate, gate
    from evalwheel.api.mirroring import (
        MirrorResult,
        amirror_compare,
        amirror_gap,
        amirror_replay,
        gap_from_runs,
        mirror_compare,
        mirror_export,
        mirror_gap,
        mirror_replay,
        mirror_review,
        mirror_status,
        mirror_summary,
        mirrors,
        render_mirror_report,
        write_mirror_report,
    )
    from evalwheel.api.projects import open_project
    from evalwheel.api.promotion import Promotion, apromote, promote
    from evalwheel.api.reporting import render_report, write_report
    from evalwheel.api.simulation import (
        EssenceExtraction,
        aextract_essences,
        asimulate,
        extract_essences,
        simulate,
    )
    from evalwheel.api.simulation_report import (
        SimulationReport,
        asimulation_report,
        simulation_report,
    )
    from evalwheel.api.synthesis import asynthesize, synthesize
    from evalwheel.api.synthesis_data import (
        FailuresResult,
        asynth_failures,
        export_training_data,
        synth_failures,
    )
    from evalwheel.api.traffic import TrafficImport, import_traffic
    from evalwheel.api.trained_models import register_trained, set_trained_status, trained_models
    from evalwheel.api.training import train
    from evalwheel.apps.interface import App, AppOutput, CheckResult
    from evalwheel.core.dataset import DatasetVersion
    from evalwheel.core.example import Example
    from evalwheel.core.mirror import MirrorPair
    from evalwheel.core.system import System
    from evalwheel.core.trained import TrainedModel
    from evalwheel.datasets.contamination import ContaminationReport
    from evalwheel.datasets.splits import SplitReport
    from evalwheel.errors import (
        CheckFailed,
        ConflictError,
        EvalwheelError,
        InputError,
        NotFoundError,
        StoppedError,
    )
    from evalwheel.judges.api import (
        AgreementReport,
        CalibrationResult,
        DriftResult,
        acalibrate,
        acheck_drift,
        agreement,
        calibrate,
        check_drift,
        import_labels,
    )
    from evalwheel.mirror.gap import Gap
    from evalwheel.mirror.readiness import Readiness, ReadinessRule
    from evalwheel.mirror.summary import MirrorSummary
    from evalwheel.project import Project
    from evalwheel.report.mirror_report import MirrorReportData
    from evalwheel.runner.compare import Comparison
    from evalwheel.runner.gates import GateVerdict
    from evalwheel.runner.results import (
        Estimate,
        RunProgress,
        RunResult,
        RunSummary,
        ScorerSummary,
    )
    from evalwheel.runner.scorers import scorer
    from evalwheel.simulate.models import Essence, SimulationSpec
    from evalwheel.synth.export import ExportResult
    from evalwheel.synth.models import SynthResult
    from evalwheel.training.models import (
        TrainConfig,
        TrainingConversation,
        TrainProgress,
        TrainResult,
    )
