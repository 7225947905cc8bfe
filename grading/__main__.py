from grading.cli import main

raise SystemExit(main())
