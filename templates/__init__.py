"""The Markdown templates of report.md, the step summary and the PR comment.

They live at the repository's top level and are installed as this package,
``hub_convert.templates`` (pyproject.toml maps it here), so the renderer finds them the same
way in a source checkout's editable install and in an installed wheel.
"""
