"""The deploy phase: the recipe's deployers, each given the model package."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from automl.records import DeploymentRecord

if TYPE_CHECKING:
    from automl.recipe import ResolvedRecipe

__all__ = ["deploy"]

logger = logging.getLogger(__name__)


def deploy(resolved: ResolvedRecipe, package_dir: Path) -> list[DeploymentRecord]:
    """Run the recipe's deployers on the package; a failing deployer is recorded, not fatal."""
    results = []
    for deployer in resolved.deployers:
        try:
            location = str(deployer.component.spec.factory(package_dir, deployer.params))
        except Exception as exc:  # a deployer's failure is the run's result, not a crash
            error = resolved.scrub(f"{type(exc).__name__}: {exc}")
            logger.warning("Deployer %s (%s) failed: %s", deployer.name, deployer.path, error)
            results.append(DeploymentRecord(type=deployer.name, path=deployer.path, error=error))
            continue
        logger.info("Deployed with %s to %s", deployer.name, location)
        results.append(DeploymentRecord(type=deployer.name, path=deployer.path, location=location))
    return results
