from bench.status.run import main

raise SystemExit(main())
