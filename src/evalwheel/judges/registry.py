"""Judge versions and their calibrations in the store.

Every judge version that was ever used is kept (the judges table, keyed by its content hash), so a
score can always be traced to the exact prompt that gave it. Calibrations are records of kind
``calibration``; a version is trusted when one of its calibrations passed the promotion gate.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from evalwheel.core.hashing import content_hash, short
from evalwheel.core.judge import Calibration, Judge
from evalwheel.errors import EvalwheelError, NotFoundError
from evalwheel.store.db import Store
from evalwheel.store.records import Records
from evalwheel.store.tables import JudgeRow

CALIBRATION = "calibration"
DRIFT = "drift"


class UntrustedJudge(EvalwheelError):
    pass


class JudgeRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, judge: Judge) -> str:
        with self.store.write() as session:
            if session.get(JudgeRow, judge.version) is None:
                session.add(
                    JudgeRow(
                        version=judge.version,
                        name=judge.name,
                        payload=judge.model_dump(mode="json"),
                        created_at=datetime.now(UTC),
                    )
                )
        return judge.version

    def get(self, version: str) -> Judge:
        with self.store.read() as session:
            rows = session.scalars(
                select(JudgeRow).where(JudgeRow.version.startswith(version))
            ).all()
            if len(rows) != 1:
                raise NotFoundError(
                    f"judge version {version!r} "
                    + ("is ambiguous" if rows else "is not in the store")
                )
            return Judge.model_validate(rows[0].payload)

    def versions(self, name: str | None = None) -> list[tuple[Judge, datetime]]:
        query = select(JudgeRow).order_by(JudgeRow.created_at)
        if name:
            query = query.where(JudgeRow.name == name)
        with self.store.read() as session:
            return [(Judge.model_validate(r.payload), r.created_at) for r in session.scalars(query)]

    def save_calibration(self, calibration: Calibration) -> None:
        Records(self.store, CALIBRATION).put(calibration.id, calibration.model_dump(mode="json"))

    def calibrations(
        self, *, version: str | None = None, name: str | None = None
    ) -> list[Calibration]:
        found = [Calibration.model_validate(p) for p in Records(self.store, CALIBRATION).all()]
        return [
            c
            for c in found
            if (version is None or c.judge_version == version)
            and (name is None or c.judge_name == name)
        ]

    def latest_calibration(self, version: str) -> Calibration | None:
        found = self.calibrations(version=version)
        return found[-1] if found else None

    def calibrated_kappa(self, version: str) -> dict | None:
        """The latest calibration's test kappa against the reference ({estimate, ci_low, …})."""
        latest = self.latest_calibration(version)
        if latest is None:
            return None
        return (latest.metrics.get("test", {}).get("vs_reference") or {}).get("cohen_kappa")

    def trusted(self, version: str) -> bool:
        """Trusted by its latest calibration, and not found drifting since."""
        latest = self.latest_calibration(version)
        if latest is None or not latest.trusted:
            return False
        return not any(
            d["drifted"] and d["created_at"] >= latest.created_at.isoformat()
            for d in self.drift_checks(version)
        )

    def save_drift(self, version: str, report: dict) -> None:
        now = datetime.now(UTC)
        payload = {**report, "judge_version": version, "created_at": now.isoformat()}
        Records(self.store, DRIFT).put("drift-" + short(content_hash(payload)), payload)

    def drift_checks(self, version: str) -> list[dict]:
        return [p for p in Records(self.store, DRIFT).all() if p.get("judge_version") == version]

    def require_trusted(self, judge: Judge, allow_untrusted: bool = False) -> None:
        if allow_untrusted or self.trusted(judge.version):
            return
        latest = self.latest_calibration(judge.version)
        why = (
            "it has never been calibrated"
            if latest is None
            else "it drifted since its calibration (evalwheel judge drift)"
            if latest.trusted
            else "its latest calibration did not pass the promotion gate"
        )
        raise UntrustedJudge(
            f"judge {judge.name!r} version {judge.version[:12]} is not trusted: {why}. Run "
            f"`evalwheel calibrate --judge {judge.name} --golden DATASET`, or pass "
            "--allow-untrusted-judge to use it anyway"
        )


PIN = "judge_pin"


def pin(store: Store, configured: Judge, chosen: Judge) -> None:
    """Make ``chosen`` (a calibrated derivative) the version used for ``configured``'s name, for as
    long as the configuration still says what it said when calibrated."""
    JudgeRegistry(store).save(chosen)
    Records(store, PIN).put(
        configured.name, {"base_version": configured.version, "version": chosen.version}
    )


def pinned(store: Store, configured: Judge) -> Judge:
    """The version to use for a configured judge: its calibrated pin when the configuration has not
    changed since, else the configuration itself."""
    payload = Records(store, PIN).get(configured.name)
    if not payload or payload.get("base_version") != configured.version:
        return configured
    chosen = JudgeRegistry(store).get(payload["version"])
    return chosen.model_copy(update={"name": configured.name})


def record_calibration(
    store: Store,
    configured: Judge,
    started_from: Judge,
    chosen: Judge,
    calibration: Calibration,
    candidates: list[Judge],
) -> bool:
    """Store every version scored, the calibration, and pin the chosen version unless that would
    replace a trusted pin with an untrusted one. Returns whether the pin moved."""
    registry = JudgeRegistry(store)
    for judge in (configured, started_from, *candidates, chosen):
        registry.save(judge)
    registry.save_calibration(calibration)
    current = pinned(store, configured)
    if calibration.trusted or (
        chosen.version != current.version and not registry.trusted(current.version)
    ):
        pin(store, configured, chosen)
        return True
    return False
