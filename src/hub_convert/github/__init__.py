"""Publishing a report on GitHub: workflow commands, PR comment, workflow artifact, release assets.

Every module here works from a ``Report`` (``report.json``) and the runner's environment only.
Nothing in this package imports TensorFlow or runs model code: a privileged ``workflow_run``
job publishes the report of an untrusted pull request with it.
"""
