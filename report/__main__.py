"""``python -m report``: see report.cli."""

import sys

from report.cli import main

sys.exit(main())
