"""The demo warehouse (a synthetic e-commerce dataset in DuckDB) and its semantic model."""
