"""The composition root: settings → adapters → services, each built once. Nothing else builds services.

Routes, pages and CLI commands ask the container for a service (``c.ledger``, ``c.diplomas`` …);
they never build or cache one themselves. Tests build a container with the settings and the clock
they need (``build(Settings(...), clock=FixedClock(...))``) and may replace a service before first use
by assigning the attribute (``c.diplomas = DiplomaService(...)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request

from credential_service.admissions.register_reader import RegisterReader
from credential_service.admissions.residence_registry import ResidenceRegistry, residence_registry_for
from credential_service.admissions.service import AdmissionsService
from credential_service.app.resource_places import resource_place, school_place
from credential_service.diplomas.register_import import RegisterImporter
from credential_service.diplomas.service import DiplomaService
from credential_service.documents.factory import DocumentFactory
from credential_service.documents.service import AnyDocumentService
from credential_service.documents.so_seal import sign_as_so
from credential_service.employers.service import EmployerService
from credential_service.holders.consent import ConsentService
from credential_service.holders.population_registry import PopulationRegistry, registry_for
from credential_service.holders.service import COOKIE as HOLDER_COOKIE
from credential_service.holders.service import HolderService
from credential_service.holders.staff_reads import log_staff_reads, log_staff_reads_of_people
from credential_service.ledger.key_rotation import KeyRotationService
from credential_service.ledger.service import LedgerService
from credential_service.platform.clock import Clock, SystemClock
from credential_service.platform.db import Database, migrate
from credential_service.platform.jobs import JobService
from credential_service.platform.library_errors import dev_pki_unavailable
from credential_service.platform.ratelimit import RateLimiter, limiter_from_settings
from credential_service.platform.settings import Settings
from credential_service.reporting.reports import CityReports
from credential_service.reporting.service import ReportingService
from credential_service.reporting.trend import keep_days
from credential_service.signers.compromise import CompromiseService
from credential_service.signers.external_signing import ExternalSigningService
from credential_service.signers.service import SignerRegistry
from credential_service.staff.approvals import ApprovalService
from credential_service.staff.oidc import OidcClient, OidcSettings
from credential_service.staff.policy import Scope
from credential_service.staff.roles import Place
from credential_service.staff.service import StaffAuthService
from credential_service.transcripts.service import TranscriptService
from credential_service.verification.service import VerificationService


@dataclass
class Container:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    # -- adapters ---------------------------------------------------------------------------------
    @cached_property
    def db(self) -> Database:
        db = Database(self.settings.database_url)
        # every process's changes date the progress trend's rows by this clock (CLI, job workers, the service)
        keep_days(db.engine, self.clock)
        return db

    @cached_property
    def documents(self) -> DocumentFactory:
        return DocumentFactory.from_settings(self.settings, clock=self.clock)

    @cached_property
    def population_registry(self) -> PopulationRegistry:
        s = self.settings
        return registry_for(self.db, s.population_registry_url, s.population_registry_timeout)

    @cached_property
    def residence_registry(self) -> ResidenceRegistry:
        """Grades 1 and 6: residence and date of birth from the population database (dev: synthetic children)."""
        s = self.settings
        return residence_registry_for(
            s.residence_registry_url, timeout=s.residence_registry_timeout, production=s.env == "production"
        )

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        """Rate limits and back-off in a store every worker shares (the database, or rate_limit_storage_url)."""
        return limiter_from_settings(self.db, self.settings, self.clock)

    # -- services ---------------------------------------------------------------------------------
    @cached_property
    def transcripts(self) -> TranscriptService:
        return TranscriptService(self.db, self.documents, clock=self.clock)

    @cached_property
    def diplomas(self) -> DiplomaService:
        return DiplomaService(
            self.db,
            self.documents,
            register_format=self.settings.register_no_format,
            clock=self.clock,
            limiter=self.rate_limiter,
        )

    @cached_property
    def register_importer(self) -> RegisterImporter:
        return RegisterImporter(
            self.db, self.settings, register_format=self.settings.register_no_format, clock=self.clock
        )

    @cached_property
    def ledger(self) -> LedgerService:
        """One ledger service (the log key is read once)."""
        return LedgerService.from_settings(self.db, self.settings, clock=self.clock)

    @cached_property
    def key_rotation(self) -> KeyRotationService:
        return KeyRotationService(self.db, self.settings, clock=self.clock)

    @cached_property
    def verification(self) -> VerificationService:
        """One verification service (trust roots and the QR key list read once); its reads come from the read
        replica while it keeps up, when one is configured."""
        s = self.settings
        if s.database_replica_url is None:
            return VerificationService.from_settings(self.db, s, self.ledger, clock=self.clock)
        from credential_service.platform.read_replica import ReplicaDatabase

        reads = ReplicaDatabase(self.db, s.database_replica_url, max_lag_seconds=s.replica_max_lag_seconds)
        return VerificationService.from_settings(reads, s, clock=self.clock)  # its own ledger reader, same keys

    @cached_property
    def signers(self) -> SignerRegistry:
        return SignerRegistry(self.db, self.settings, clock=self.clock)

    @cached_property
    def compromise(self) -> CompromiseService:
        return CompromiseService(self.db, self.documents, self.signers, clock=self.clock)

    @cached_property
    def external_signing(self) -> ExternalSigningService:
        return ExternalSigningService(self.db, self.documents, clock=self.clock)

    @cached_property
    def any_documents(self) -> AnyDocumentService:
        return AnyDocumentService(self.db, self.documents, clock=self.clock)

    @cached_property
    def holders(self) -> HolderService:
        return HolderService(self.db, self.settings, clock=self.clock, limiter=self.rate_limiter)

    @cached_property
    def consent(self) -> ConsentService:
        return ConsentService(self.db, self.settings, self.holders, self.population_registry, clock=self.clock)

    @cached_property
    def employers(self) -> EmployerService:
        return EmployerService(
            self.db,
            self.settings,
            self.verification.credential_status,
            client_hash=self.holders.client_hash,
            clock=self.clock,
            limiter=self.rate_limiter,
        )

    @cached_property
    def admissions(self) -> AdmissionsService:
        def log_reads(actor: str, purpose: str, personal_ids: Sequence[str]) -> int:
            return log_staff_reads_of_people(
                self.db, self.clock, actor=actor, purpose=purpose, personal_ids=personal_ids
            )

        register = RegisterReader(
            self.transcripts, self.holders, self.diplomas, self.verification.credential_status, clock=self.clock
        )
        return AdmissionsService(self.db, clock=self.clock, log_reads=log_reads, register=register)

    @cached_property
    def reporting(self) -> ReportingService:
        """The Sở's progress: reads the register through the transcripts and diplomas services."""
        return ReportingService(
            self.transcripts,
            self.diplomas,
            clock=self.clock,
            signers=self.signers,
            access_log=self.holders,
            public_checks=self.diplomas,
            registers=self.diplomas,
        )

    @property
    def city_reports(self) -> CityReports:
        """The monthly report maker over the container's services: the Sở's seal through the document service."""
        docs = self.any_documents

        def seal(data: bytes, *, title: str, kind: str, filename: str, client: str | None, actor: str | None) -> Any:
            return sign_as_so(docs, data, title=title, kind=kind, filename=filename, client=client, actor=actor)

        def signed_pdf(document_id: str) -> bytes:
            return bytes(docs.revision_row(document_id).pdf)

        return CityReports(self.reporting, seal, signed_pdf, clock=self.clock)

    @cached_property
    def jobs(self) -> JobService:
        """Batch jobs: the handlers of every kind, run by procrastinate workers (PostgreSQL) or in-process."""
        from credential_service.admissions.allocation_jobs import ALLOCATE_YEAR, allocation_handler
        from credential_service.diplomas.issue_jobs import ISSUE_GRADUATES, issue_graduates_handler
        from credential_service.diplomas.register_import_jobs import REGISTER_IMPORT, register_import_handler
        from credential_service.reporting.report_jobs import CITY_REPORT, city_report_handler
        from credential_service.transcripts.seal_jobs import SEAL_CLASS, seal_class_handler

        handlers = {
            SEAL_CLASS: seal_class_handler(self.transcripts),
            ISSUE_GRADUATES: issue_graduates_handler(self.diplomas),
            ALLOCATE_YEAR: allocation_handler(self.admissions),
            CITY_REPORT: city_report_handler(lambda: self.city_reports, self.db),
            REGISTER_IMPORT: register_import_handler(self.register_importer, self.approvals),
        }
        jobs = JobService(self.db, self.clock, handlers)
        if self.uses_job_workers:
            from credential_service.platform.job_queue import ProcrastinateDispatcher

            jobs.dispatcher = ProcrastinateDispatcher(self.settings.database_url)
        else:  # the in-process runner lost its queue with the last process: hand out what it left unfinished
            jobs.resume_unfinished()
        return jobs

    @property
    def uses_job_workers(self) -> bool:
        runner = self.settings.job_runner
        return runner == "procrastinate" or (runner == "auto" and self.settings.database_url.startswith("postgresql"))

    # -- lifecycle --------------------------------------------------------------------------------
    @cached_property
    def oidc(self) -> OidcClient | None:
        """The staff SSO client, or None when no issuer is configured."""
        s = self.settings
        if not (s.oidc_issuer and s.oidc_client_id and s.oidc_client_secret):
            return None
        host = urlsplit(s.oidc_issuer).hostname or ""
        settings = OidcSettings(
            issuer=s.oidc_issuer,
            client_id=s.oidc_client_id,
            client_secret=s.oidc_client_secret,
            redirect_uri=s.public_base_url.rstrip("/") + "/dang-nhap/sso/callback",
            allowed_hosts=frozenset({host, *s.oidc_allowed_hosts}),
        )
        return OidcClient(settings, clock=self.clock)

    @cached_property
    def approvals(self) -> ApprovalService:
        return ApprovalService(self.db, clock=self.clock)

    @cached_property
    def staff_auth(self) -> StaffAuthService:
        return StaffAuthService(self.db, self.settings, clock=self.clock, limiter=self.rate_limiter)

    def resource_place(self, scope: Scope, params: Mapping[str, str]) -> Place | None:
        return resource_place(self.db, scope, params)

    def school_place(self, school_code: str) -> Place:
        return school_place(self.db, school_code)

    def log_staff_read(self, scope: Scope, params: Mapping[str, str], actor: str, purpose: str) -> None:
        """A staff read of personal records, in the access log each holder sees."""
        student = params.get("student_id")
        log_staff_reads(
            self.db,
            self.clock,
            actor=actor,
            purpose=purpose,
            class_id=params.get("class_id") if scope is Scope.CLASS and student is None else None,
            student_ids=[student] if student else [],
            transcript_ids=[params["transcript_id"]] if scope is Scope.TRANSCRIPT else [],
            diploma_ids=[params["diploma_id"]] if scope is Scope.DIPLOMA else [],
        )

    def check_holder_session(self, request: Request) -> None:
        self.holders.principal(request.cookies.get(HOLDER_COOKIE))

    def migrate(self) -> None:
        migrate(self.settings.database_url)

    def start_dev_services(self) -> None:
        """In dev/test, serve the dev TSA/OCSP/CRL on loopback so documents get real timestamps."""
        if self.settings.is_dev and self.settings.dev_pki_serve:
            from signing import devpki

            try:
                devpki.ensure_dev_pki_server()
            except (SystemExit, OSError, RuntimeError) as e:  # werkzeug calls sys.exit(1) when the port is taken
                raise dev_pki_unavailable(getattr(devpki, "DEV_PKI_PORT", None), e) from e


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> Container:
    return Container(settings or Settings(), clock or SystemClock())
