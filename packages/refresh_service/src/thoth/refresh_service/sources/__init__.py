"""Documentation sources: their definitions (sources.yaml), snapshots of dir and S3 kinds, and git."""
