"""The synthetic sample catalog: tracks, videos and releases with their truth."""
