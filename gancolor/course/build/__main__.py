"""``python -m gancolor.course.build solutions notebooks [--check]``."""

from gancolor.course.build.command import main

raise SystemExit(main())
