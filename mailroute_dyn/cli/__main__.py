"""`python -m mailroute_dyn.cli`: the `mailroute-dyn` command line."""

from .app import main

raise SystemExit(main())
