"""`make bench`: the benchmark harness, its floor script, pandas path and input helpers (run.py)."""
