"""One exception hierarchy for the whole library; the CLI maps it to exit codes in one place.

Every error a user can cause or fix derives from ``EvalwheelError``. Library functions raise these,
never ``SystemExit``; ``evalwheel.cli.app.main`` prints ``str(exc)`` as one line and exits with
``exit_code``. Older, more specific classes (``ConfigError``, ``DatasetNotFound``…) subclass both
one of these and the built-in they used to be, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_INPUT_ERROR = 2
EXIT_INTERNAL_ERROR = 3


class EvalwheelError(Exception):
    """Anything evalwheel refuses or cannot do, with a message meant for a person."""

    exit_code = EXIT_INPUT_ERROR


class InputError(EvalwheelError, ValueError):
    """Bad input: a file, an argument or a configuration value. Nothing was changed."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.line, self.field, self.detail = file, line, field, message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = f"{where}: " if where else ""
        prefix += f"{field}: " if field else ""
        super().__init__(prefix + message)


class NotFoundError(EvalwheelError, LookupError):
    """A named thing (dataset, run, judge, model, system) does not exist."""

    def __str__(self) -> str:  # LookupError would quote the message like a KeyError
        return str(self.args[0]) if self.args else ""


class ConflictError(EvalwheelError):
    """The request contradicts what is stored or running (a run resumed twice, a changed label)."""


class CheckFailed(EvalwheelError):
    """A check ran and failed (a gate, a drift check): exit 1, not an error of the user's."""

    exit_code = EXIT_CHECK_FAILED


class StoppedError(EvalwheelError):
    """Work stopped before the end (budget, deadline, interrupt); what finished is kept."""

    exit_code = EXIT_CHECK_FAILED
