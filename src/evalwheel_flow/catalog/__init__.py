"""The task catalog: triggers, actions and control steps with their fields, as versioned data."""

from evalwheel_flow.catalog.catalog import Catalog, FieldType, Task, load_catalog

__all__ = ["Catalog", "FieldType", "Task", "load_catalog"]
