"""automl, FLAML and AutoGluon side by side on the same fixed splits, budget and cores.

For each dataset of the suite (``--role core`` by default) and each seed, the fixed 75/25 split
of ``suite.py`` (``benchmarks/splits/<dataset>.seed<seed>.json``) is written as a training CSV
(target included) and a test CSV (target removed). Every tool of ``--tools`` then runs as a
subprocess (``benchmarks/peer_runners/<tool>_runner.py``: automl with the project's Python,
each peer with the Python of its own virtual environment, installed on first use under
``--venvs-dir``), with the same time budget (FLAML ``time_budget``, AutoGluon ``time_limit``,
automl ``search.time_budget``) and the same cores (FLAML ``n_jobs``, AutoGluon ``num_cpus``,
automl ``execution.workers``, ``OMP_NUM_THREADS`` and friends, and the process's CPU affinity),
and writes its test predictions to a file. This script scores every tool's predictions with the
same function (``peers_report.py``) and prints the scores, who wins each (dataset, seed),
automl's win rate against each peer, the AMLB-normalised scores and wall time ÷ budget.

Run::

    python benchmarks/peers.py ../shared/bench/suite.json --time-budget 60 --seeds 0 1 \\
        --out peers.csv
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, cast

from common import constant_score, fixed_split, read_labelled, shown_path
from peers_install import RUNNERS, TOOLS, InstallError, default_venvs_dir, ensure_installed
from peers_report import print_report, read_csv, read_predictions, score_predictions, write_csv
from suite import DEFAULT_SPLITS, SuiteError, load_suite, select
from suite_report import fmt, load_anchors, normalised

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """A bad argument: one line on stderr, exit code 2 (argparse prints the usage too)."""
        self.exit(2, f"peers.py: error: {message} (see --help)\n")


def _mapping(text: str) -> dict[str, Any]:
    """A JSON object given on the command line."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("a JSON object is needed, such as '{\"search\": {}}'")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("suite", type=Path, help="suite.json (dataset files relative to it)")
    add("--from-csv", type=Path, nargs="+", help="run nothing: report saved CSVs (merged)")
    add("--time-budget", type=float, default=60.0, help="seconds per run, the same for each tool")
    add("--seeds", type=int, nargs="+", default=[0, 1, 2], help="split (and search) seeds")
    add("--datasets", nargs="+", default=None, help="dataset names (any role)")
    add("--role", choices=["core", "extra", "all"], default="core", help="without --datasets")
    add("--tools", nargs="+", choices=list(TOOLS), default=list(TOOLS), help="tools to run")
    add("--cpus", type=int, default=2, help="CPU cores per run, the same for each tool")
    add("--venvs-dir", type=Path, default=default_venvs_dir(), help="the peers' venvs")
    add("--install-timeout", type=float, default=1800.0, help="seconds per pip install")
    add("--timeout-factor", type=float, default=3.0, help="a run is stopped at this x budget")
    add("--tie-tolerance", type=float, default=0.0, help="scores this close are a tie")
    add("--anchors", type=Path, default=None, help="default: amlb_anchors.csv beside suite.json")
    add("--splits-dir", type=Path, default=DEFAULT_SPLITS, help="split files")
    add("--out", type=Path, default=None, help="CSV of every run, rewritten after each")
    add("--runs-dir", type=Path, default=None, help="folder for the temporary work folders")
    add(
        "--keep-runs",
        action="store_true",
        help="keep each split's work folder (data, each tool's log and run) under --runs-dir",
    )
    add(
        "--automl-recipe",
        type=_mapping,
        default={},
        help='JSON merged into automl\'s recipe, e.g. \'{"search": {"pruner": "none"}}\'',
    )
    return parser


def _check(args: argparse.Namespace) -> None:
    """Arguments argparse cannot check; raises SuiteError (one line, exit code 2)."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    if not args.time_budget > 0:
        raise SuiteError(f"--time-budget must be > 0 seconds, got {args.time_budget:g}")
    if args.cpus < 1 or (available is not None and args.cpus > available):
        raise SuiteError(f"--cpus must be between 1 and {available} here, got {args.cpus}")
    if args.timeout_factor < 1:
        raise SuiteError(f"--timeout-factor must be >= 1, got {args.timeout_factor:g}")
    if len(set(args.tools)) != len(args.tools):
        raise SuiteError(f"--tools names a tool twice: {' '.join(args.tools)}")
    if args.tie_tolerance < 0:
        raise SuiteError(f"--tie-tolerance must be >= 0, got {args.tie_tolerance:g}")
    for path in args.from_csv or []:
        if not path.is_file():
            raise SuiteError(f"--from-csv: {path} does not exist")


# -- one tool on one split -----------------------------------------------------------------------


def _environment(cpus: int, project: bool) -> dict[str, str]:
    env = dict(os.environ)
    if project:
        # automl runs `execution.workers` = cpus trial processes of one thread each; set here,
        # the variables would give every one of them cpus threads (cpus x cpus on cpus cores).
        for name in THREAD_VARIABLES:
            env.pop(name, None)
    else:
        env.update(dict.fromkeys(THREAD_VARIABLES, str(cpus)))
        for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):  # not the project's packages
            env.pop(name, None)
    return env


def _pin(cpus: int) -> Callable[[], None] | None:
    """Limit the subprocess (and its children) to ``cpus`` of this process's cores."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cores = sorted(os.sched_getaffinity(0))[:cpus]
    return lambda: os.sched_setaffinity(0, cores)


def _stop_group(group: int) -> None:
    """Kill what is left of the process group of a runner this script started."""
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        return  # nothing left: the usual case after a clean exit


def _tail(log: Path, lines: int = 6) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(line.strip() for line in text[-lines:])


def run_tool(
    python: Path,
    tool: str,
    work: Path,
    entry: Mapping[str, Any],
    seed: int,
    args: argparse.Namespace,
) -> tuple[float, dict[str, Any], str | None]:
    """Run one tool's runner on the split in ``work``: (wall seconds, its info, an error)."""
    folder = work / tool
    folder.mkdir()
    budget = args.time_budget
    command = [str(python), str(RUNNERS / TOOLS[tool].runner)]
    command += ["--train", str(work / "train.csv"), "--test", str(work / "test.csv")]
    command += ["--target", entry["target"], "--task", entry["task"], "--metric", entry["metric"]]
    command += ["--time-budget", f"{budget:g}", "--cpus", str(args.cpus), "--seed", str(seed)]
    command += ["--predictions", str(folder / "predictions.csv")]
    command += ["--info", str(folder / "info.json"), "--workdir", str(folder)]
    if tool == "automl" and args.automl_recipe:
        command += ["--recipe-extra", json.dumps(args.automl_recipe)]
    log, timeout = folder / "output.log", args.timeout_factor * budget
    with log.open("w", encoding="utf-8") as handle:
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=_environment(args.cpus, TOOLS[tool].requirement is None),
            start_new_session=True,  # its own process group, to stop it with its children
            preexec_fn=_pin(args.cpus),  # noqa: PLW1509 - no threads in this script
        )
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_group(process.pid)
            process.wait()
            wall = time.monotonic() - started
            return (
                wall,
                {},
                f"timed out: stopped after {wall:.0f} s ({args.timeout_factor:g} x budget)",
            )
        wall = time.monotonic() - started
        _stop_group(process.pid)  # worker processes a tool left behind would steal the cores
    if code != 0:
        return wall, {}, f"exit code {code}: {_tail(log)}"
    info_path = folder / "info.json"
    if not info_path.is_file():
        return wall, {}, None  # informative only: the predictions are what is scored
    try:
        return wall, json.loads(info_path.read_text(encoding="utf-8")), None
    except ValueError as exc:
        return wall, {}, f"the runner's info.json is not JSON: {exc}"


def run_split(
    entry: Mapping[str, Any],
    seed: int,
    args: argparse.Namespace,
    pythons: Mapping[str, Path],
    spec: Any,
    suite_dir: Path,
    done: Callable[[dict[str, Any]], None],
) -> None:
    """Every tool on one (dataset, seed); ``done`` gets each tool's row as it finishes."""
    target, metric = entry["target"], entry["metric"]
    frame = read_labelled(suite_dir / entry["file"], target)
    labels = frame[target].to_numpy()
    train, test, split = fixed_split(entry, frame, labels, seed, args.splits_dir)
    classes = None if entry["task"] == "regression" else sorted(frame[target].unique().tolist())
    truth = labels[test] if classes is not None else labels[test].astype(float)
    constant = constant_score(labels[train], truth, classes, metric, spec)
    base = {
        "split_file": shown_path(split),
        "train_rows": len(train),
        "test_rows": len(test),
        "constant_split": constant,
    }
    with _work_folder(f"peers-{entry['name']}-seed{seed}-", args) as work:
        frame.iloc[train].to_csv(work / "train.csv", index=False)
        frame.iloc[test].drop(columns=[target]).to_csv(work / "test.csv", index=False)
        for tool in args.tools:
            if tool not in pythons:
                continue
            wall, info, error = run_tool(pythons[tool], tool, work, entry, seed, args)
            row = {**base, "tool": tool, "wall_s": round(wall, 2)}
            row.update(wall_ratio=round(wall / args.time_budget, 3), fit_s=info.get("fit_s"))
            row.update(predict_s=info.get("predict_s"), phases=info.get("phases"))
            fit_wall = info.get("fit_wall_s")
            if isinstance(fit_wall, int | float):
                row.update(
                    fit_wall_s=fit_wall, fit_wall_ratio=round(fit_wall / args.time_budget, 3)
                )
            row.update(tool_version=info.get("tool_version"), best_model=info.get("best_model"))
            if error is None:
                try:
                    made = read_predictions(work / tool / "predictions.csv", classes, len(test))
                    row["test_score"] = score_predictions(made, truth, classes, metric, spec)
                except ValueError as exc:
                    error = f"{type(exc).__name__}: {exc}"
            row.update(status="ok" if error is None else "failed", error=error)
            done(row)


@contextlib.contextmanager
def _work_folder(prefix: str, args: argparse.Namespace) -> Iterator[Path]:
    """A fresh folder for one split's runs: removed afterwards unless ``--keep-runs``."""
    if args.keep_runs:
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=args.runs_dir))
        yield folder
        print(f"peers.py: kept {folder}", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(prefix=prefix, dir=args.runs_dir) as tmp:
        yield Path(tmp)


# -- main ----------------------------------------------------------------------------------------


class Recorder:
    """The rows of finished runs: each is printed, kept and (with ``--out``) saved at once."""

    def __init__(
        self,
        total: int,
        anchors: Mapping[str, Any],
        args: argparse.Namespace,
        out: Callable[[str], None],
    ) -> None:
        self.rows: list[dict[str, Any]] = []
        self.total, self.anchors, self.args, self.out = total, anchors, args, out

    def add(self, head: Mapping[str, Any], row: Mapping[str, Any]) -> None:
        """Record one tool's run of one (dataset, seed)."""
        row = {**head, **row}
        name, where = row["dataset"], f"{row['dataset']} seed {row['seed']} {row['tool']}"
        prefix = f"[{len(self.rows) + 1}/{self.total}] {where}"
        if row["status"] == "ok":
            row["normalised"] = normalised(row["test_score"], self.anchors.get(name, {}))
            self.out(
                f"{prefix}: {row['metric']} {fmt(row['test_score'])} (normalised "
                f"{fmt(row['normalised'], 3)}), best {row.get('best_model')}, "
                f"wall {row['wall_s']} s = {row['wall_ratio']} x budget"
            )
        else:
            what = "NOT INSTALLED" if row["status"] == "not_installed" else "FAILED"
            self.out(f"{prefix}: {what}: {row['error']}")
        self.rows.append(row)
        if self.args.out is not None:
            write_csv(self.args.out, self.rows)


def _from_csv(
    args: argparse.Namespace, names: Sequence[str], anchors: Any, out: Callable[[str], None]
) -> int:
    try:
        rows = read_csv(args.from_csv, anchors)
    except ValueError as exc:
        print(f"peers.py: error: {exc}", file=sys.stderr)
        return 2
    listed = {row["dataset"] for row in rows}
    known = [name for name in names if name in listed]
    shown = known + sorted(listed - set(names)) if not args.datasets else known
    found = {row["tool"] for row in rows}
    print_report(rows, shown, [t for t in TOOLS if t in found], out, args.tie_tolerance)
    return 0


def _install(
    args: argparse.Namespace, out: Callable[[str], None]
) -> tuple[dict[str, Path], dict[str, str]]:
    """The Python of each tool, and the install error of each tool that has none."""
    pythons: dict[str, Path] = {}
    errors: dict[str, str] = {}
    for tool in args.tools:
        try:
            pythons[tool] = ensure_installed(TOOLS[tool], args.venvs_dir, out, args.install_timeout)
        except InstallError as exc:
            errors[tool] = str(exc)
            out(f"{tool}: NOT INSTALLED, the benchmark goes on without it: {exc}")
    return pythons, errors


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Run the comparison; 0 when every run succeeded, 1 when a run or an install failed, 2
    when it cannot be run as asked (one line on stderr)."""
    args = _parser().parse_args(argv)
    suite_path: Path = args.suite.resolve()
    try:
        _check(args)
        entries = select(load_suite(suite_path), args.datasets, args.role)
    except SuiteError as exc:
        print(f"peers.py: error: {exc}", file=sys.stderr)
        return 2
    anchors = load_anchors(args.anchors or suite_path.parent / "amlb_anchors.csv")
    names = [entry["name"] for entry in entries]
    if args.from_csv:
        return _from_csv(args, names, anchors, out)
    from automl import AutomlError, MetricSpec, PluginRegistry

    registry = PluginRegistry.discover()
    try:  # every dataset's metric, before any install or run
        specs = {
            entry["name"]: cast(MetricSpec, registry.get("metric", entry["metric"]).spec)
            for entry in entries
        }
    except (AutomlError, KeyError) as exc:
        print(f"peers.py: error: {suite_path.name}: a dataset's metric: {exc}", file=sys.stderr)
        return 2
    if args.runs_dir is not None:
        args.runs_dir.mkdir(parents=True, exist_ok=True)
    pythons, install_errors = _install(args, out)
    out(
        f"{len(entries)} dataset(s) x {len(args.seeds)} seed(s) x {len(pythons)} tool(s); "
        f"time budget {args.time_budget:g} s and {args.cpus} CPU(s) per run"
    )
    recorder = Recorder(len(entries) * len(args.seeds) * len(args.tools), anchors, args, out)
    for entry in entries:
        spec = specs[entry["name"]]
        for seed in args.seeds:
            head = {
                "dataset": entry["name"],
                "role": entry.get("role", ""),
                "task": entry.get("task"),
                "metric": entry.get("metric"),
                "direction": spec.direction,
                "seed": seed,
                "time_budget": args.time_budget,
                "cpus": args.cpus,
            }
            for tool, error in install_errors.items():
                recorder.add(head, {"tool": tool, "status": "not_installed", "error": error})
            finished: set[str] = set()

            def done(
                row: dict[str, Any], head: dict[str, Any] = head, finished: set[str] = finished
            ) -> None:
                finished.add(row["tool"])
                recorder.add(head, row)

            try:
                run_split(entry, seed, args, pythons, spec, suite_path.parent, done)
            except Exception as exc:  # the split itself failed: every tool's run of it
                error = f"{type(exc).__name__}: {exc}"
                for tool in [tool for tool in args.tools if tool in pythons]:
                    if tool not in finished:
                        done({"tool": tool, "status": "failed", "error": error})
    out("")
    print_report(recorder.rows, names, list(args.tools), out, args.tie_tolerance)
    if args.out is not None:
        out(f"wrote {args.out}")
    return 0 if all(row["status"] == "ok" for row in recorder.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
