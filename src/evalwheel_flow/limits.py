"""What an untrusted workflow may cost to validate, run and score.

The workflows the Flow application checks come from a model under test, so they are untrusted input:
a Liquid loop of 4000×4000 in an email body once validated and took 65 s to score one item. Every
limit here is a count, never a clock, so a workflow over one fails the same way on every machine and
every rerun (a validator error, or a failed check that names the limit), and the scorer's work per
item is bounded without threads or timers.

The values sit far above what real workflows need: the 1,070 shipped reference workflows have at
most 5 steps, no Liquid tags, fields of at most 95 characters and suites of at most 194 events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evalwheel_flow.workflow import Workflow

#: Characters in one Liquid field (one pass over it costs as many work units).
LIQUID_TEMPLATE_CHARS = 10_000
#: Loop iterations in one render of one field, all loops together; nested loops multiply
#: (python-liquid's own ``loop_iteration_limit`` refuses a nest before its first iteration).
LIQUID_LOOP_ITERATIONS = 1_000
#: Work units of one render of one field: its characters once per pass (one pass, plus one per
#: loop iteration, as a loop body may be the whole field) plus every item of a sequence handed to
#: a filter (``(1..N) | join`` builds the whole string before any output limit sees it). A unit
#: is about 4 µs of python-liquid on a slow core, so a render stops within about half a second.
LIQUID_RENDER_WORK = 100_000
#: Bytes one render of one field may write (an email body of 64 KiB is generous).
LIQUID_OUTPUT_BYTES = 64 * 1024
#: Bytes (``sys.getsizeof``) of the variables a field assigns or captures.
LIQUID_LOCALS_BYTES = 64 * 1024

#: Steps of a workflow, links between them and characters of one config value: the validator and
#: the oracle refuse bigger workflows before walking them (a Liquid field has its own, lower limit).
WORKFLOW_STEPS = 200
WORKFLOW_LINKS = 1_000
FIELD_CHARS = 100_000
#: Events in one equivalence suite (the shipped references need at most 194).
ORACLE_EVENTS = 2_000
#: Work units of one executor step (about the time of 100 units of Liquid).
STEP_WORK = 100
#: Work units for one equivalence check or one simulation summary, both workflows together.
ORACLE_WORK = 1_000_000
#: Work units for the trial renders of all of one workflow's Liquid fields during validation.
VALIDATION_WORK = 200_000


class WorkLimitExceeded(RuntimeError):
    """A workflow asked for more work than its budget; the message names the limit."""


@dataclass
class WorkBudget:
    """Work units left to one check: spent by the executor and the Liquid renderer, raising
    ``WorkLimitExceeded`` at the first unit over the limit."""

    limit: int
    what: str
    spent: int = 0

    @property
    def exhausted(self) -> bool:
        return self.spent > self.limit

    def spend(self, units: int) -> None:
        self.spent += units
        if self.spent > self.limit:
            raise WorkLimitExceeded(
                f"{self.what} needs more than {self.limit:,} work units "
                "(steps and Liquid rendering; see evalwheel_flow.limits)"
            )


def oversize(workflow: Workflow) -> str | None:
    """Why a workflow is too big to validate or run (steps, links, one long value), or None.
    Checked first, so a huge document costs one pass over its lists and nothing more."""
    root = workflow.root
    if len(root.steps) > WORKFLOW_STEPS:
        return f"the workflow has {len(root.steps):,} steps (at most {WORKFLOW_STEPS:,})"
    if len(root.links) > WORKFLOW_LINKS:
        return f"the workflow has {len(root.links):,} links (at most {WORKFLOW_LINKS:,})"
    for step in root.steps:
        for field in step.config_field_values:
            if len(field.value) > FIELD_CHARS:
                return (
                    f"{step.step_id}.{field.config_field_id} has {len(field.value):,} "
                    f"characters (at most {FIELD_CHARS:,})"
                )
    return None
