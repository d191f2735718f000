"""Every table of every domain, loaded onto one metadata (for Alembic and the schema tests)."""

from __future__ import annotations

import credential_service.admissions.tables as _admissions_tables  # noqa: F401
import credential_service.diplomas.tables as _diplomas_tables  # noqa: F401
import credential_service.documents.tables as _documents_tables  # noqa: F401
import credential_service.employers.tables as _employers_tables  # noqa: F401
import credential_service.holders.tables as _holders_tables  # noqa: F401
import credential_service.ledger.tables as _ledger_tables  # noqa: F401
import credential_service.platform.jobs as _batch_jobs  # noqa: F401
import credential_service.platform.ratelimit_storage as _rate_limits  # noqa: F401
import credential_service.reporting.tables as _reporting_tables  # noqa: F401
import credential_service.signers.tables as _signers_tables  # noqa: F401
import credential_service.staff.tables as _staff_tables  # noqa: F401
import credential_service.transcripts.tables as _transcripts_tables  # noqa: F401
from credential_service.platform.db import Base

__all__ = ["Base"]
