"""One run in the main process: config, stages in order, scheduling, the output directory."""
