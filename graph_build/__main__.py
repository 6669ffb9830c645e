import sys

from graph_build.cli import main

sys.exit(main())
