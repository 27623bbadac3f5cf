"""python -m retail_warehouse.bench: see run.py."""

from .run import main

raise SystemExit(main())
