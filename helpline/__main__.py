"""``python -m helpline``: see helpline.cli."""

from __future__ import annotations

from helpline.cli import main

raise SystemExit(main())
