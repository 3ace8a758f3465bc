# Cheap Argon2 (the default of make_app); spelled out where a test builds its own app.
FAST_HASHING = {"ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}}
