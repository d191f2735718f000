"""Composition root: settings → adapters → services. Nothing else builds objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from credential_service.documents.factory import DocumentFactory
from credential_service.platform.clock import Clock, SystemClock
from credential_service.platform.db import Database, migrate
from credential_service.platform.settings import Settings
from credential_service.transcripts.service import TranscriptService


@dataclass
class Container:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url)

    @cached_property
    def documents(self) -> DocumentFactory:
        return DocumentFactory.from_settings(self.settings)

    @cached_property
    def transcripts(self) -> TranscriptService:
        return TranscriptService(self.db, self.documents)

    def migrate(self) -> None:
        migrate(self.settings.database_url)

    def start_dev_services(self) -> None:
        """In dev/test, serve the dev TSA/OCSP/CRL on loopback so documents get real timestamps."""
        if self.settings.is_dev and self.settings.dev_pki_serve:
            from signing.devpki import ensure_dev_pki_server

            ensure_dev_pki_server()


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> Container:
    return Container(settings or Settings(), clock or SystemClock())
