from customer.cli import main

raise SystemExit(main())
