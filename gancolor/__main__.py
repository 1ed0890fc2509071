"""``python -m gancolor`` is the same as the ``gancolor`` command."""

from gancolor.cli import main

raise SystemExit(main())
