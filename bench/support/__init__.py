"""Rigs the benchmarks and the tests both run: a throwaway PostgreSQL cluster, a Spark
Connect server, a Parley server in a subprocess, warehouse loaders."""
