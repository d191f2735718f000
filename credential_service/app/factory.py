"""FastAPI application factory."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from credential_service.admissions import pages as admissions_pages
from credential_service.admissions import routes as admissions
from credential_service.app import routes_approvals, routes_jobs
from credential_service.app.bootstrap import Container, build
from credential_service.app.openapi_errors import install_problem_openapi
from credential_service.app.problem import install_problem_handlers
from credential_service.app.route_limits import body_limit_of, install_body_limits
from credential_service.app.security_headers import install_security_headers, install_sign_in_redirect
from credential_service.diplomas import pages as diploma_pages
from credential_service.diplomas import routes as diploma_routes
from credential_service.employers import routes as employers
from credential_service.holders import pages as holder_pages
from credential_service.holders import routes as holders
from credential_service.ledger import routes as ledger
from credential_service.reporting import pages as progress_pages
from credential_service.reporting import routes as progress
from credential_service.signers import routes as signer_routes
from credential_service.signers import routes_external as external_signing_routes
from credential_service.staff import pages as staff_pages
from credential_service.staff import policies as P
from credential_service.staff import routes as staff_routes
from credential_service.staff.access import allow, check_every_route_has_a_policy
from credential_service.transcripts import pages
from credential_service.transcripts import routes as transcripts
from credential_service.transcripts import routes_amendments as amendments
from credential_service.transcripts import routes_classes as classes
from credential_service.transcripts import routes_rules as rules
from credential_service.verification import pages as verify_pages
from credential_service.verification import routes as verify


def create_app(container: Container | None = None) -> FastAPI:
    container = container or build()
    app = FastAPI(
        title="Sổ Gốc Số API",
        description=(
            "Học bạ số và văn bằng số của Sở GDĐT Hải Phòng — nhập điểm, ký số, phát hành, tải về.\n\n"
            "Digital transcripts and diplomas of the Hải Phòng Department of Education — import, sign, "
            "issue, download. Errors are application/problem+json with Vietnamese and English text."
        ),
        version="0.1.0",
    )
    app.state.container = container
    app.state.access = container  # what staff/access.py:Guard asks: sessions, places, the holder's session
    install_problem_handlers(app)
    install_sign_in_redirect(app)
    # first: the public status and QR checks are the busiest routes, and routes are tried in order (no other
    # route matches their paths, so the order changes nothing else)
    app.include_router(verify.router)  # /api/v1/verify…, /api/v1/credentials/…, /.well-known/sogoc-keys.json
    app.include_router(classes.router, prefix="/api/v1")
    app.include_router(transcripts.router, prefix="/api/v1")
    app.include_router(amendments.router, prefix="/api/v1")  # /api/v1/transcripts/{id}/summer-amendment, /seal
    app.include_router(rules.router, prefix="/api/v1")
    app.include_router(ledger.router, prefix="/api/v1")
    app.include_router(holders.router)  # /api/v1/holder/…
    app.include_router(employers.router)  # /api/v1/employer/…, /.well-known/sogoc-receipt-keys.json
    app.include_router(holder_pages.router)  # /holder…, /s/<code>
    app.include_router(pages.router)
    app.include_router(verify_pages.router)
    app.include_router(diploma_routes.router)  # /api/v1/graduation-decisions, /api/v1/diplomas…, public checks
    app.include_router(diploma_pages.router)
    app.include_router(signer_routes.router)  # /api/v1/signers…, /api/v1/documents…, /.well-known/sogoc-trust-list
    app.include_router(external_signing_routes.router)  # /api/v1/classes/{id}/sign/{step}/external/…

    app.include_router(staff_routes.router)  # /api/v1/staff/…
    app.include_router(staff_pages.router)  # /dang-nhap, /dang-xuat
    app.include_router(routes_approvals.router)  # /api/v1/approvals/…
    app.include_router(routes_jobs.router)  # /api/v1/jobs/…
    app.include_router(admissions.router)  # /api/v1/admissions/…
    app.include_router(admissions_pages.router)  # /so/tuyen-sinh
    app.include_router(progress.router)  # /api/v1/progress…
    app.include_router(progress_pages.router)  # /so/tien-do…, /assets/js/…

    @app.get("/healthz", include_in_schema=False, dependencies=[allow(P.PUBLIC)])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    check_every_route_has_a_policy(app)  # deny by default: a route without a policy stops the start
    body_limit = body_limit_of(app)  # each route's body limit (app/route_limits.py)
    install_body_limits(app, body_limit)  # a larger body gets a 413 before the route reads it
    install_security_headers(app, https=container.settings.public_base_url.startswith("https://"))  # outermost
    # every operation declares its application/problem+json error responses, from its policy and body limit
    install_problem_openapi(app, body_limit=body_limit)
    return app


def serve_app(container: Container | None = None) -> FastAPI:
    """The app as a server process runs it (``uvicorn credential_service.app.factory:serve_app --factory``).

    :func:`create_app`, then everything built so far (the imported libraries, the app and its container: a few
    hundred thousand objects that live as long as the process) is moved out of the cyclic garbage collector's
    sight with :func:`gc.freeze`. Otherwise every full collection walks them all while the worker's requests wait:
    the status endpoint's p99 under load fell from about 280 ms to about 80 ms on 2 cores (issue #17,
    ``benchmarks/verify.py``). Not done in :func:`create_app`, which tests call many times in one process."""
    app = create_app(container)
    gc.collect()
    gc.freeze()
    return app
