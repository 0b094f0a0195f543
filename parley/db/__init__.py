"""The state database: the engine and its pools, direct driver reads, and the SQL
helpers that return wire-ready text."""
