"""Two-host benchmark: `python -m bench.twohost`."""
from bench.twohost.run import main

raise SystemExit(main())
