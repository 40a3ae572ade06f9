"""Running the service: instance files, keys, backups, task queue, health, demo data."""
