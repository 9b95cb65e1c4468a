"""Runtime by role: config, Spark session, Delta I/O, jobs, MLflow tracking and registry, mappings."""
