"""The GitHub Action: the runner's inputs, one or several models, publishing."""
