"""Checks for plugin authors: does a component honour automl's contract?

Use them in a plugin's own tests::

    from automl.testing import check_metric_spec, check_model_spec

    def test_my_model():
        check_model_spec(my_model_spec)

    def test_my_metric():
        check_metric_spec(my_metric_spec)

One check per kind of component: :func:`check_model_spec`, :func:`check_data_source_spec`,
:func:`check_metric_spec`, :func:`check_deployer_spec`; :func:`write_example_package` writes a
small real model package to deploy. Each check raises ``AssertionError`` with a message saying
what is wrong. docs/plugins.md ("Testing") describes what each one checks.
"""

from __future__ import annotations

from automl.testing.deployers import check_deployer_spec, write_example_package
from automl.testing.metrics import check_metric_spec
from automl.testing.models import check_model_spec
from automl.testing.sources import check_data_source_spec

__all__ = [
    "check_data_source_spec",
    "check_deployer_spec",
    "check_metric_spec",
    "check_model_spec",
    "write_example_package",
]
