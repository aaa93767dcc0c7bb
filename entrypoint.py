#!/usr/bin/env python3
"""Docker entrypoint of the hub-convert Action: hand the runner's environment to the package.

The runner starts it as PID 1 with the GitHub token and the runtime credentials in its
environment. It first re-executes itself without them and receives them through a pipe
(hub_convert.workers.isolation.take_secrets): /proc/1/environ shows the initial environment of
PID 1 for as long as it runs, and model code runs meanwhile.
"""

import sys

from hub_convert.workers.isolation import take_secrets

if __name__ == "__main__":
    environ = take_secrets()  # the first time, re-executes this script and does not return
    from hub_convert.action.entry import main

    sys.exit(main(environ))
