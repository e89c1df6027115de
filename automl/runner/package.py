"""The package phase: write the refitted model as a model package in the run directory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automl.records import RunSummary

if TYPE_CHECKING:
    from automl.rundir import RunLayout
    from automl.runner.prepare import Prepared

__all__ = ["REFERENCE_ROWS", "package_model"]

REFERENCE_ROWS = 1000
"""Training rows kept in the package as the reference sample (for drift checks)."""


def package_metadata(summary: RunSummary) -> dict[str, Any]:
    """What the package records about the run that made it."""
    document = summary.to_dict()
    keys = (
        "recipe",
        "task",
        "target",
        "metric",
        "direction",
        "metrics",
        "seed",
        "versions",
        "data",
    )
    metadata = {key: document[key] for key in keys}
    metadata.update(best_trial=document["best_trial"], holdout=document["holdout"])
    ensemble = summary.ensemble
    if ensemble is not None and ensemble.chosen:
        metadata["ensemble"] = document["ensemble"]
    return metadata


def package_model(layout: RunLayout, pipeline: Any, prepared: Prepared, summary: RunSummary) -> str:
    """Write the package to ``model/``; returns its digest (which pins the whole package:
    ``automl.load_model(path, expected_digest=...)``)."""
    from automl.package import package_digest, write_package

    table, split = prepared.table, prepared.split
    features = table.features.iloc[split.train_rows]
    reference = features.copy()
    reference[table.target_name] = table.target[split.train_rows]
    if len(reference) > REFERENCE_ROWS:
        reference = reference.sample(n=REFERENCE_ROWS, random_state=summary.seed)
    write_package(
        layout.model,
        pipeline=pipeline,
        task=table.task.value,
        target=table.target_name,
        classes=table.classes,
        input_example=features.head(5),
        reference_sample=reference.reset_index(drop=True),
        metadata=package_metadata(summary),
        input_dtypes=prepared.input_dtypes,
    )
    return package_digest(layout.model)
