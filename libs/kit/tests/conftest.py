import sys
from pathlib import Path

# Test helpers beside this file (bus_fixtures, bus_worker) are imported by name.
sys.path.insert(0, str(Path(__file__).parent))
