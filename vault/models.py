"""Every table in Base.metadata (Alembic and tests import this); the list of parts is vault.features."""
from vault.features import import_models

import_models()
