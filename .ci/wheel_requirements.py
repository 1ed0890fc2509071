"""Print the requirements of a wheel (its Requires-Dist without extras), one per line.

Used by .ci/test-wheel: python .ci/wheel_requirements.py dist/gancolor-X-py3-none-any.whl
"""

import sys
import zipfile
from email.parser import Parser

with zipfile.ZipFile(sys.argv[1]) as wheel:
    name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    metadata = Parser().parsestr(wheel.read(name).decode("utf-8"))
print("\n".join(r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r))
