"""Time budget: how closely ``automl run --time-budget B`` keeps to B seconds, start-up included.

For each budget (``--budgets``, default 5 10 20 s) and each repetition, ``automl run RECIPE
--time-budget B --run-dir <temporary folder>`` runs as a subprocess (``python -m automl``, the
same command-line interface) with the recipe's own workers unless ``--workers`` is given. One
line per run::

    budget=5 wall=5.31 ratio=1.062 run_total=4.98 overrun=0.00 stopped_by=time_budget
      phases: load=0.01 prepare=0.15 search=6.27 refit=0.23 package=0.42; outside the phases: 1.85; outside the run: 1.44

- ``wall``: seconds measured here around the subprocess: interpreter start-up, imports, the
  run and the exit. What a user waits for.
- ``ratio``: ``wall / budget``; the goal is ``wall/budget <= 1.02``.
- ``run_total``, ``overrun`` and the phases come from the run's ``run.json`` (read with
  ``automl.open_run``): ``summary.timings["total"]`` is the run's own clock (from the start of
  the run, after the imports, to its end); ``summary.budget.overrun`` the seconds past the
  budget by that clock; ``summary.budget.used`` the seconds of each phase. ``outside the
  phases`` is ``run_total`` minus the phases: time on the run's clock that no phase claims
  (setting up before the first phase, between phases, closing). ``outside the run`` is ``wall -
  run_total``: interpreter start-up, imports and exit, which the run's clock cannot see.

The last line is ``max_ratio=<x> goal: wall/budget <= 1.02 (met|not met)``, over the runs that
finished. The exit code is 1 when a run failed, else 0 (a missed goal is a finding, not an
error).

Run::

    python benchmarks/budget.py                         # recipes/quickstart.yaml, 5 10 20 s
    python benchmarks/budget.py --budgets 10 --repeats 3
    python benchmarks/budget.py --recipe my.yaml --workers 1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "quickstart.yaml"
GOAL = 1.02
"""The most ``wall / budget`` may be."""


@dataclass
class Measurement:
    """One run of ``automl run`` under a time budget."""

    budget: float
    repeat: int
    wall: float
    exit_code: int
    run_total: float | None = None
    overrun: float | None = None
    stopped_by: str | None = None
    status: str | None = None
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Wall-clock seconds per budgeted second."""
        return self.wall / self.budget


def measure(
    recipe: Path, budget: float, repeat: int, run_dir: Path, workers: int | None
) -> tuple[Measurement, str]:
    """Run ``automl run`` once under ``budget``; the measurement and the command's output."""
    from automl import UsageError, open_run

    command = [sys.executable, "-m", "automl", "run", str(recipe)]
    command += ["--time-budget", f"{budget:g}", "--run-dir", str(run_dir)]
    if workers is not None:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    measurement = Measurement(
        budget=budget, repeat=repeat, wall=wall, exit_code=completed.returncode
    )
    try:
        summary = open_run(run_dir).summary
    except UsageError:  # the run failed before it wrote run.json
        return measurement, completed.stdout + completed.stderr
    measurement.run_total = summary.timings.get("total", summary.budget.total)
    measurement.overrun = summary.budget.overrun
    measurement.stopped_by = summary.stopped_by.value if summary.stopped_by else None
    measurement.status = summary.status.value
    measurement.phases = dict(summary.budget.used)
    return measurement, completed.stdout + completed.stderr


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def report(measurement: Measurement, repeats: int) -> list[str]:
    """The lines printed for one run: the figures, then the phases."""
    m = measurement
    line = (
        f"budget={m.budget:g} wall={m.wall:.2f} ratio={m.ratio:.3f} "
        f"run_total={_number(m.run_total)} overrun={_number(m.overrun)} "
        f"stopped_by={m.stopped_by or '-'}"
    )
    if repeats > 1:
        line += f" repeat={m.repeat}"
    phases = " ".join(f"{phase}={seconds:.2f}" for phase, seconds in m.phases.items())
    unphased = m.run_total - sum(m.phases.values()) if m.run_total is not None else None
    outside = m.wall - m.run_total if m.run_total is not None else None
    detail = (
        f"  phases: {phases or '-'}; outside the phases: {_number(unphased)}; "
        f"outside the run: {_number(outside)}"
    )
    if m.exit_code != 0 or m.status not in (None, "finished"):
        detail += f"; exit code {m.exit_code}, status {m.status or 'no run.json'}"
    return [line, detail]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--budgets", type=float, nargs="+", default=[5.0, 10.0, 20.0], help="seconds, each run"
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs per budget")
    parser.add_argument("--recipe", type=Path, default=DEFAULT_RECIPE, help="the recipe to run")
    parser.add_argument(
        "--workers", type=int, default=None, help="--workers for automl run (default: the recipe's)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="folder for the temporary run directories (default: the system's temp folder)",
    )
    return parser


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Measure every budget; returns 1 when a run failed, else 0."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if any(budget <= 0 for budget in args.budgets):
        parser.error(f"--budgets must be positive seconds, got {args.budgets}")
    recipe: Path = args.recipe.resolve()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    out(
        f"recipe {recipe.name}; budgets {' '.join(f'{b:g}' for b in args.budgets)} s; "
        f"{args.repeats} run(s) each; workers {args.workers or 'as the recipe says'}; "
        f"{os.cpu_count()} CPUs, load average {load}"
    )
    measurements: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="automl-budget-", dir=args.workdir) as tmp:
        for repeat in range(1, args.repeats + 1):
            for budget in args.budgets:
                run_dir = Path(tmp) / f"budget{budget:g}-{repeat}"
                measurement, output = measure(recipe, budget, repeat, run_dir, args.workers)
                measurements.append(measurement)
                for line in report(measurement, args.repeats):
                    out(line)
                if measurement.exit_code != 0:
                    out("  " + "\n  ".join(output.strip().splitlines()[-3:]))
    finished = [m for m in measurements if m.exit_code == 0]
    failed = len(measurements) - len(finished)
    note = f"; {failed} run(s) failed, left out" if failed else ""
    if not finished:
        out(f"max_ratio=- goal: wall/budget <= {GOAL} (no run finished{note})")
        return 1
    worst = max(finished, key=lambda m: m.ratio)
    verdict = "met" if worst.ratio <= GOAL else f"not met: budget={worst.budget:g}"
    out(f"max_ratio={worst.ratio:.3f} goal: wall/budget <= {GOAL} ({verdict}{note})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
