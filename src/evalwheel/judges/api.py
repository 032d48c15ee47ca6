"""The judges' front door: one import path for everything a script or the CLI does with judges.

    from evalwheel.judges.api import calibrate, check_drift

    result = calibrate("flow-quality", "flow-golden", target_kappa=0.6)
    print(result.trusted, result.gate.reasons, result.metrics.stop_detail)
    drift = check_drift("flow-quality")

Coroutines (``acalibrate``, ``acheck_drift``, ``ameasure_panel``) for async callers; the plain names
run them from sync code with clean SIGINT/SIGTERM handling. Every failure is an ``EvalwheelError``.
"""

from evalwheel.judges.calibration import (
    acalibrate,
    acalibrate_and_record,
    calibrate,
    calibrate_and_record,
    calibration_options,
)
from evalwheel.judges.catalog import (
    BrokenEntry,
    CalibrationSummary,
    JudgeDetails,
    JudgeEntry,
    PanelEntry,
    export_judge,
    list_judges,
    show_judge,
)
from evalwheel.judges.drift import DriftResult
from evalwheel.judges.drift_check import IncompleteCheck, acheck_drift, check_drift
from evalwheel.judges.in_runs import build_judge_scorers, pin_judges
from evalwheel.judges.panel_eval import PanelMeasurement
from evalwheel.judges.panel_measure import ameasure_panel, measure_panel
from evalwheel.judges.results import (
    CalibrationMetrics,
    CalibrationOptions,
    CalibrationResult,
    GateResult,
    PromotionGate,
    SplitAgreement,
)
from evalwheel.labels.api import (
    LabelCounts,
    agreement,
    import_labels,
    list_labels,
    read_label_file,
    resolve_review,
    review_queue,
)
from evalwheel.stats.agreement_report import AgreementReport

__all__ = [
    "AgreementReport",
    "BrokenEntry",
    "CalibrationMetrics",
    "CalibrationOptions",
    "CalibrationResult",
    "CalibrationSummary",
    "DriftResult",
    "GateResult",
    "IncompleteCheck",
    "JudgeDetails",
    "JudgeEntry",
    "LabelCounts",
    "PanelEntry",
    "PanelMeasurement",
    "PromotionGate",
    "SplitAgreement",
    "acalibrate",
    "acalibrate_and_record",
    "acheck_drift",
    "agreement",
    "ameasure_panel",
    "build_judge_scorers",
    "calibrate",
    "calibrate_and_record",
    "calibration_options",
    "check_drift",
    "export_judge",
    "import_labels",
    "list_judges",
    "list_labels",
    "measure_panel",
    "pin_judges",
    "read_label_file",
    "resolve_review",
    "review_queue",
    "show_judge",
]
