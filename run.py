"""Start the server from a checkout: ``python run.py`` (same as ``python -m helpline serve``).

Flags of ``serve`` may follow, e.g. ``python run.py --port 9000``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from helpline.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(["serve", *sys.argv[1:]]))
