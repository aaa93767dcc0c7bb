#!/usr/bin/env python3
"""Docker entrypoint of the hub-convert Action: hand the runner's environment to the package."""

import os
import sys

from hub_convert.action import main

if __name__ == "__main__":
    sys.exit(main(os.environ))
