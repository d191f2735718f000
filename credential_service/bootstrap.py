"""Composition root: settings → adapters → services. Nothing else builds objects."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from credential_service.adapters.db.engine import Database, migrate
from credential_service.services.documents import DocumentFactory
from credential_service.services.transcripts import TranscriptService
from credential_service.settings import Settings


@dataclass
class Container:
    settings: Settings

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


def build(settings: Settings | None = None) -> Container:
    return Container(settings or Settings())
