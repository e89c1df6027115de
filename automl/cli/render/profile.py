"""The data profile: size, columns by kind, missing values, what was dropped and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from automl.cli.render.cells import plural

if TYPE_CHECKING:
    from rich.console import Console

    from automl.data import DataProfile


def render_profile(console: Console, profile: DataProfile) -> None:
    """The data profile: size, columns by kind, missing values, what was dropped and why."""
    kinds = profile.kinds_count()
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    task = f" · task {profile.task}" if profile.task else ""
    console.print(
        Text(
            f"Data: {plural(profile.rows_loaded, 'row')}, "
            f"{plural(profile.columns_loaded, 'column')} loaded; {plural(profile.rows, 'row')} "
            f"used · target {profile.target}{task} · features: {summary or 'none'}"
        ),
        soft_wrap=True,
    )
    if profile.target_distribution:
        counts = ", ".join(
            f"{label}: {count}" for label, count in profile.target_distribution.items()
        )
        console.print(Text(f"Target classes: {counts}"), soft_wrap=True)
    duplicates = _duplicates_line(profile)
    if duplicates:
        console.print(Text(duplicates), soft_wrap=True)
    table = Table(title="Columns", title_justify="left", box=None, padding=(0, 2))
    for header in ("column", "kind", "missing", "distinct", "why"):
        table.add_column(header, no_wrap=header != "why", overflow="fold")
    for column in profile.columns:
        style = "" if column.used else "dim"
        kind = column.kind if column.used else f"{column.kind} (dropped)"
        table.add_row(
            column.name,
            kind,
            f"{column.missing_share:.0%}",
            str(column.distinct),
            column.reason,
            style=style,
        )
    console.print(table)
    for step in profile.steps:
        console.print(Text(f"· {step.action}: {step.detail}", style="cyan"), soft_wrap=True)
    for warning in profile.warnings:
        console.print(Text(f"Warning: {warning}", style="yellow"), soft_wrap=True)


def _duplicates_line(profile: DataProfile) -> str:
    """What the profile says about repeated rows, or ``""`` when no row repeats another."""
    parts = []
    if profile.duplicate_rows:
        fate = "dropped: data.drop_duplicates" if profile.duplicates_dropped else "kept"
        parts.append(f"{plural(profile.duplicate_rows, 'row')} repeating another row ({fate})")
    if profile.conflicting_rows:
        parts.append(
            f"{plural(profile.conflicting_rows, 'row')} sharing their features with a row of "
            "another target (conflicting labels)"
        )
    if not parts:
        return ""
    grouped = profile.conflicting_rows or not profile.duplicates_dropped
    together = (
        " · rows with identical features stay in one fold and on one side of the holdout"
        if grouped
        else ""
    )
    return f"Duplicates: {'; '.join(parts)}{together}"
