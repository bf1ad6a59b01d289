"""``python -m trainer_agent_lab`` runs the CLI."""

import sys

from .cli import main

sys.exit(main())
