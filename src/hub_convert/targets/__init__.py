"""One module per target format: convert, inspect the output file, run it."""
