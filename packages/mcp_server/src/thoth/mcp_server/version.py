"""This distribution's version as a constant.

Reading it with importlib.metadata costs about 50 ms on a cold start here (it scans every
path entry for dist-info), a third of the /health budget; a unit test keeps this constant
equal to pyproject.toml.
"""

from typing import Final

VERSION: Final = "0.1.0"
