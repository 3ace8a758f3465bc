"""Imports every model module so Base.metadata knows all tables (Alembic and tests use this)."""
from vault import audit  # noqa: F401
from vault.auth import models as auth_models  # noqa: F401
from vault.documents import models as document_models  # noqa: F401
from vault.storage import models as storage_models  # noqa: F401
from answers.library import models as library_models  # noqa: F401
from vault.trust import models as trust_models  # noqa: F401
from vault.access import models as access_models  # noqa: F401
from vault.notify import models as notify_models  # noqa: F401
from vault.expiry import models as expiry_models  # noqa: F401
from status import models as status_models  # noqa: F401
from answers.questionnaires import models as questionnaire_models  # noqa: F401
