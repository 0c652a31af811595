"""The harness: what every track's jobs run inside (the run's configuration, the guarded call into
imputer code with its limits and measurements)."""
