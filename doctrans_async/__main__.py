"""``python -m doctrans_async``: the ``doctrans`` command."""

import sys

from doctrans_async.cli import main

sys.exit(main())
