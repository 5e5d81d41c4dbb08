"""`python -m mailroute_dyn`: the `mailroute-dyn` command line."""

from .cli import main

raise SystemExit(main())
