"""The reading steps of the built-in planner, one module each (`planner.py` runs them)."""
