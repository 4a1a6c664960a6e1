from threeplanes.cli import main

raise SystemExit(main())
