"""`make bench`: run every benchmark module in this folder (a module with a `main()`), or the ones named.

Each benchmark measures its subject and a baseline in the same run and reports ratios, never absolute targets
checked by unit tests.
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    found = pkgutil.iter_modules([str(Path(__file__).parent)])
    names = argv or sorted(m.name for m in found if not m.name.startswith("_"))
    if not names:
        print("bench: no benchmarks in bench/ yet")
        return 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== bench/{name}")
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
