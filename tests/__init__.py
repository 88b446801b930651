"""The tests. Imported before any conftest, so a test run keeps what it compiles (__pycache__, ignored by git and
the image) even where PYTHONDONTWRITEBYTECODE is set, as it is on the project's machines: compiling every module
of services/ and tests/ again took about 5 s of CPU at the start of each run and of each pytest-xdist worker, and
the commands the tests run in a child process read the cached files too."""

import sys

if "pytest" in sys.modules:
    sys.dont_write_bytecode = False
