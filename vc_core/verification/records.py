"""Report records built without validation: the hot half of :mod:`.report`, compiled by
``tools/build_native.py`` (that module defines pydantic models, which mypyc cannot compile).

A verification builds ten of these records; every value they are given is of its declared type
(the verification functions make them), so pydantic's validation would only cost time. What
:func:`trusted` makes is what ``model_construct`` makes when every field is given, without its
walk over aliases and defaults; ``tests/unit/vc_core/verification/test_report_fast.py`` checks
that the three agree. The types are ``Any`` here so that this module needs nothing of pydantic.
"""

from __future__ import annotations

from typing import Any


def trusted(cls: Any, values: dict[str, Any], fields_set: set[str]) -> Any:
    """A ``cls`` (a pydantic model class) holding ``values``, every field named, unvalidated."""
    model = cls.__new__(cls)
    # The model may be frozen: object.__setattr__ is how pydantic itself fills one.
    setattr_ = object.__setattr__
    setattr_(model, "__dict__", values)
    setattr_(model, "__pydantic_fields_set__", fields_set)
    setattr_(model, "__pydantic_extra__", None)
    setattr_(model, "__pydantic_private__", None)
    return model


def step_record(
    cls: Any,
    step: Any,
    name: str,
    status: Any,
    *,
    message: object,
    details: dict[str, Any],
    code: object,
) -> Any:
    """A ``StepResult`` of these values (``code`` and ``message`` made plain strings)."""
    values: dict[str, Any] = {
        "step": step,
        "name": name,
        "status": status,
        "code": None if code is None else str(code),
        "message": str(message),
        "details": details,
    }
    return trusted(cls, values, set(values))
