"""A stored run row for tests that only need one to exist (no items, no model)."""

from __future__ import annotations

from evalwheel.project import Project


def _run(project: Project, system: str, dataset: str, split: str | None, done: bool) -> str:
    from evalwheel.core.run import RunStatus
    from evalwheel.store.runs import RunRepository

    store = project.open_store()
    try:
        runs = RunRepository(store)
        run_id = runs.create(
            system_name=system,
            system_version="0" * 64,
            system_payload={},
            dataset=f"{dataset}@v1",
            split=split,
            repeat=1,
            n_items=0,
            config={},
        )
        if done:
            runs.set_status(run_id, RunStatus.COMPLETED, finished=True)
        return run_id
    finally:
        store.close()
