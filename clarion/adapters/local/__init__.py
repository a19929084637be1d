"""The local backend: DuckDB, files and in-process models (the embedded default).

One package per feature, each adapter named after the port it implements."""
