"""The peer AutoML tools of ``peers.py`` and their virtual environments.

Each peer is installed on first use into its own virtual environment under ``--venvs-dir``
(created with the running Python's ``venv`` module, then ``pip install`` of the pinned
requirement), so that its dependencies (AutoGluon pins pandas 2, for one) never meet the
project's. A finished install leaves ``peer-install.json`` in its folder; a folder without it
(an interrupted or failed install) is removed and installed again. pip's output goes to
``install.log`` in the same folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RUNNERS = Path(__file__).resolve().parent / "peer_runners"
MARKER = "peer-install.json"
TORCH_PIN = "torch==2.13.0"
"""Should a peer's dependencies ask for PyTorch, only this build (a local CPU wheel here)."""


@dataclass(frozen=True)
class Tool:
    """One tool of the comparison.

    Attributes:
        name: The name used on the command line and in the CSV.
        runner: The runner script in ``benchmarks/peer_runners/``.
        requirement: What pip installs into the tool's own venv (``None``: the project's own
            Python runs it: automl itself).
        module: The module whose import proves the install.
    """

    name: str
    runner: str
    requirement: str | None = None
    module: str | None = None


TOOLS = {
    "automl": Tool("automl", "automl_runner.py"),
    "flaml": Tool("flaml", "flaml_runner.py", "flaml[automl]==2.7.0", "flaml.automl"),
    "autogluon": Tool(
        "autogluon",
        "autogluon_runner.py",
        "autogluon.tabular[lightgbm,catboost,xgboost]==1.6.3",
        "autogluon.tabular",
    ),
}


class InstallError(RuntimeError):
    """A peer could not be installed (the message says which tool and why)."""


def default_venvs_dir() -> Path:
    """``$XDG_CACHE_HOME/automl-peers``, or ``~/.cache/automl-peers``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "automl-peers"


def venv_python(folder: Path) -> Path:
    """The Python of the virtual environment in ``folder``."""
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def folder_size_mb(folder: Path) -> float:
    """The size of the files under ``folder`` in MB (symbolic links not followed)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total / 1e6


def _log_tail(log: Path, lines: int = 5) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    useful = [line for line in text if not line.startswith(("WARNING: Location", "$ "))]
    return " | ".join(useful[-lines:])


def _step(command: list[str], log: Path, timeout: float, what: str, tool: Tool) -> None:
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        try:
            done = subprocess.run(
                command, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise InstallError(
                f"{tool.name}: {what} did not finish in {timeout:g} s (log: {log}); "
                "raise --install-timeout or install by hand"
            ) from None
        except OSError as exc:
            raise InstallError(f"{tool.name}: {what} could not start: {exc}") from None
    if done.returncode != 0:
        raise InstallError(
            f"{tool.name}: {what} failed with exit code {done.returncode}: {_log_tail(log)} "
            f"(full log: {log})"
        )


def ensure_installed(
    tool: Tool, venvs_dir: Path, out: Callable[[str], None], timeout: float = 1800.0
) -> Path:
    """The Python that runs ``tool``: the project's own for automl, else the tool's venv,
    created and installed on first use (the time and size are printed).

    Raises:
        InstallError: the venv or the pip install failed, or the module does not import.
    """
    if tool.requirement is None:
        return Path(sys.executable)
    folder = venvs_dir / tool.name
    python, marker = venv_python(folder), folder / MARKER
    if marker.is_file() and python.exists():
        record = json.loads(marker.read_text(encoding="utf-8"))
        if record.get("requirement") == tool.requirement:
            out(
                f"{tool.name}: using {folder} ({tool.requirement}, installed in "
                f"{record.get('install_s')} s, {record.get('size_mb')} MB)"
            )
            return python
    if folder.exists():
        if not (folder / "pyvenv.cfg").is_file():
            raise InstallError(
                f"{tool.name}: {folder} exists but is not a virtual environment; "
                "remove it or pass another --venvs-dir"
            )
        out(f"{tool.name}: {folder} holds an unfinished or different install; installing again")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    log = folder / "install.log"
    out(f"{tool.name}: installing {tool.requirement} into {folder} (log: {log})")
    started = time.monotonic()
    _step([sys.executable, "-m", "venv", str(folder)], log, 300.0, "creating the venv", tool)
    constraints = folder / "constraints.txt"
    constraints.write_text(TORCH_PIN + "\n", encoding="utf-8")
    pip = [str(python), "-m", "pip", "install", "--constraint", str(constraints)]
    _step([*pip, tool.requirement], log, timeout, f"pip install {tool.requirement}", tool)
    check = [str(python), "-c", f"import {tool.module}"]
    _step(check, log, 300.0, f"importing {tool.module} after the install", tool)
    seconds = round(time.monotonic() - started, 1)
    size = round(folder_size_mb(folder))
    record = {"requirement": tool.requirement, "install_s": seconds, "size_mb": size}
    marker.write_text(json.dumps(record) + "\n", encoding="utf-8")
    out(f"{tool.name}: installed in {seconds} s, {size} MB")
    return python
