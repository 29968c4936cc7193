"""Each payload field carries its sensitivity class in the model itself, so rules read it from one place."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Sensitivity(StrEnum):
    """The classes of DOMAIN.md, from least to most restricted in practice."""

    IDENTITY = "identity"
    OPERATIONAL = "operational"
    RISK = "risk"
    CLINICAL = "clinical"
    INTELLIGENCE = "intelligence"


def classed(sensitivity: Sensitivity, **kwargs: Any) -> Any:
    """A pydantic Field that records its sensitivity class in the field's JSON Schema."""
    return Field(json_schema_extra={"sensitivity": sensitivity.value}, **kwargs)


def sensitivity_of(model: type[BaseModel]) -> dict[str, Sensitivity]:
    """Field name -> sensitivity class; raises if a field forgot to declare one."""
    classes: dict[str, Sensitivity] = {}
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if not isinstance(extra, dict) or "sensitivity" not in extra:
            raise TypeError(f"{model.__name__}.{name} declares no sensitivity class")
        classes[name] = Sensitivity(str(extra["sensitivity"]))
    return classes
