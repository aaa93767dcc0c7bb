"""Where a converted file drifts: its intermediate tensors against the original's, per layer."""
