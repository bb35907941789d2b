from omegacopy.cli import main

raise SystemExit(main())
