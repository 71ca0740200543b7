"""A verification report as a terminal table (Rich), for every command line that prints one.

``ecert verify`` and ``ecert-wallet verify`` run the same steps and show them the same way.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vc_core.verification.codes import StepStatus, Verdict
from vc_core.verification.report import VerificationReport

_STYLE = {
    StepStatus.OK: "green",
    StepStatus.FAILED: "bold red",
    StepStatus.COULD_NOT_CHECK: "yellow",
    StepStatus.SKIPPED: "dim",
}
_VERDICT_STYLE = {
    Verdict.VALID: "bold green",
    Verdict.INVALID: "bold red",
    Verdict.COULD_NOT_CHECK: "bold yellow",
}


def print_report(report: VerificationReport, *, title: str) -> None:
    """One row per step (number, name, result, code, plain message), then the verdict."""
    console = Console()
    table = Table(title=title)
    for column in ("step", "check", "result", "code", "detail"):
        table.add_column(column, overflow="fold")
    for r in report.steps:
        style = _STYLE[r.status]
        table.add_row(
            str(int(r.step)), r.name, f"[{style}]{r.status.value}[/]", r.code or "", r.message
        )
    console.print(table)
    console.print(f"verdict: [{_VERDICT_STYLE[report.verdict]}]{report.verdict.value}[/]")
