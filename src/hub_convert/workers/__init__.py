"""The worker process pool and what isolates it: user, memory, crash site, progress."""
