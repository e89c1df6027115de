"""The check every component kind shares: its params model is strict and its values frozen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from automl.params import Params
from automl.specs import ComponentSpec

__all__ = ["UNKNOWN_KEY", "check_params"]

UNKNOWN_KEY = "no_such_option"
"""A key no params model has: validating it must fail (a recipe's typo is never ignored)."""


def check_params(spec: ComponentSpec, values: Mapping[str, Any] | Params) -> Params:
    """Validate ``values`` with ``spec.params``; check that the model rejects unknown keys and
    that validated instances cannot be changed. Returns the validated instance.
    """
    label = f"{spec.kind.label} {spec.name!r}"
    if isinstance(values, Params):
        values = values.model_dump()
    try:
        params = spec.params.model_validate(dict(values))
    except ValidationError as exc:
        raise AssertionError(f"{label}: the params given to the check are invalid: {exc}") from None
    try:
        spec.params.model_validate({**values, UNKNOWN_KEY: 1})
    except ValidationError:
        pass
    else:
        raise AssertionError(
            f"{label}: params model {spec.params.__name__} accepted the unknown key "
            f"{UNKNOWN_KEY!r}; subclass automl.Params so that a recipe's typo is an error"
        )
    for name in type(params).model_fields:
        try:
            setattr(params, name, getattr(params, name))
        except (ValidationError, AttributeError, TypeError):
            break  # frozen, as it should be: one field tells
        raise AssertionError(
            f"{label}: validated params can be changed (field {name!r}); subclass automl.Params, "
            "whose instances are frozen, so one trial cannot alter another's parameters"
        )
    return params
