"""`python -m api.cli …` runs the `lexmap` command."""
import sys

from . import main

sys.exit(main())
