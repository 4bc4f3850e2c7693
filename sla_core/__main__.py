"""Entry point of `python -m sla_core`."""

import sys

from sla_core.cli import main

sys.exit(main())
