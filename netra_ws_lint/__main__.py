import os
import sys

# ``python -m`` puts the working directory first on sys.path: in a checked tree, its
# ``ast.py`` or ``json.py`` would be imported in place of the standard library's, and
# run. The checked code is never imported, so the working directory goes (this package
# itself is imported already).
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from netra_ws_lint.cli.main import main

raise SystemExit(main())
