"""``python -m linkspider`` runs the ``linkspider`` command."""

import sys

from linkspider.cli import main

sys.exit(main())
