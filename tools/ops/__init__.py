"""Day two of a deployed environment: `doctor`, `logs`, `report`, `rollback`, `refresh_remote`."""
