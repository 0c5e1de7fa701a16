"""The DuckDB warehouse: one connection factory, numbered migrations, atomic writes."""

from pipelines.warehouse.connection import (  # noqa: F401
    WarehouseBusy,
    WarehouseMissing,
    WriteSession,
    apply_migrations,
    data_version,
    open_read_only,
    open_memory,
    writer,
)
