"""``python -m tnverify.cli ...``: the same as the ``tnverify`` command."""
import sys

from tnverify.cli import main

if __name__ == "__main__":
    sys.exit(main())
