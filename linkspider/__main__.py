"""``python -m linkspider`` runs the ``linkspider`` command."""

import sys

from linkspider.cli import main

if __name__ == "__main__":
    sys.exit(main())
