"""Every policy a route can declare, by name. The closing table of issue #12 is generated from the routes
(``sogoc policies``), so what is written here is what runs."""

from __future__ import annotations

from credential_service.staff.policy import (
    CLASS_READERS,
    SCHOOL_READERS,
    Audience,
    Policy,
    Scope,
    public,
    staff,
)
from credential_service.staff.roles import SO_ROLES, Role

ALL_STAFF = set(Role) - {Role.SEAL}

# -- open to anyone --------------------------------------------------------------------------------
PUBLIC = public("public", "anyone: nothing personal, or the caller proves possession (QR secret, PDF)")
PUBLIC_SIGN_IN = public("sign-in", "anyone: the sign-in and activation forms themselves")
WITNESS = public("witness-cosign", "anyone: accepted only if signed by a configured witness key")
HOLDER = Policy("holder", Audience.HOLDER, note="the holder's own session")
EMPLOYER = Policy("employer", Audience.EMPLOYER, note="an approved organisation's API key")

# -- any signed-in staff member --------------------------------------------------------------------
SIGNED_IN = staff("signed-in", ALL_STAFF, anywhere=True, note="any signed-in staff member (own account)")

# -- classes and transcripts -----------------------------------------------------------------------
CLASS_LIST = staff(
    "class.list",
    CLASS_READERS | {Role.SEAL_OPERATOR},
    anywhere=True,
    note="lists only the classes the person covers",
)
CLASS_READ = staff("class.read", CLASS_READERS | {Role.SEAL_OPERATOR}, Scope.CLASS, logs_reads=True)
CLASS_IMPORT = staff("class.import", {Role.GVCN, Role.SUBJECT_TEACHER, Role.SCHOOL_CLERK}, Scope.CLASS)
CLASS_LOCK = staff("class.lock", {Role.GVCN, Role.PRINCIPAL}, Scope.CLASS)
CLASS_SIGN = staff(
    "class.sign",
    {Role.GVCN, Role.PRINCIPAL, Role.SEAL_OPERATOR},
    Scope.CLASS,
    note="and the step's own assignment, and the signer's fresh confirmation",
)
TRANSCRIPT_READ = staff("transcript.read", CLASS_READERS | {Role.SEAL_OPERATOR}, Scope.TRANSCRIPT, logs_reads=True)
# A new version after the summer (TT22 Art. 13-14): the principal enters and signs, the seal operator seals.
TRANSCRIPT_AMEND = staff(
    "transcript.amend", {Role.PRINCIPAL}, Scope.TRANSCRIPT, note="and the principal's fresh confirmation"
)
TRANSCRIPT_SEAL_AMENDMENT = staff(
    "transcript.seal_amendment", {Role.SEAL_OPERATOR}, Scope.TRANSCRIPT, note="and the operator's fresh confirmation"
)
# A school's seal as one batch job (issue #17): every class the principal approved, run by the job workers.
SCHOOL_SEAL = staff(
    "school.seal", {Role.SEAL_OPERATOR}, Scope.SCHOOL, note="the seal in force, the operator's fresh confirmation"
)
JOB_READ = staff("job.read", SCHOOL_READERS | {Role.SEAL_OPERATOR}, Scope.JOB, note="the job's school")
STAFF_LIST = staff("staff.list", SCHOOL_READERS, anywhere=True)

# -- diplomas --------------------------------------------------------------------------------------
DECISION_RECORD = staff(
    "decision.record", {Role.PRINCIPAL, Role.SCHOOL_CLERK, Role.SO_CLERK}, anywhere=True, note="for the own school"
)
DIPLOMA_ISSUE = staff("diploma.issue", {Role.PRINCIPAL, Role.SO_CLERK}, Scope.DECISION)
DIPLOMA_READ = staff("diploma.read", SCHOOL_READERS, Scope.DIPLOMA, logs_reads=True)
DIPLOMA_COPY = staff("diploma.copy", {Role.PRINCIPAL, Role.SCHOOL_CLERK, Role.SO_CLERK}, Scope.DIPLOMA, logs_reads=True)
DIPLOMA_CHANGE = staff(
    "diploma.change", {Role.PRINCIPAL, Role.SO_CLERK}, Scope.DIPLOMA, note="maker; a second person approves"
)
DEADLINES = staff("diploma.deadlines", {*SO_ROLES, Role.COMMUNE_OFFICER, Role.PRINCIPAL}, anywhere=True)
REGISTER = staff("register.import", {Role.SO_CLERK}, note="maker; a second Sở clerk or admin approves")
RECONCILE = staff("register.reconcile", {Role.SO_CLERK, Role.INSPECTOR})
SO_PAGE = staff("so.page", {*SO_ROLES, Role.COMMUNE_OFFICER}, anywhere=True)

# -- signers, keys, documents, ledger --------------------------------------------------------------
SIGNER_READ = staff("signer.read", {Role.SO_ADMIN, Role.INSPECTOR})
SIGNER_ADMIN = staff("signer.admin", {Role.SO_ADMIN}, note="maker; a second Sở admin approves what cannot be undone")
AUDIT_READ = staff("audit.read", {Role.SO_ADMIN, Role.INSPECTOR})
DOCUMENT_SIGN = staff(
    "document.sign", ALL_STAFF - {Role.INSPECTOR}, anywhere=True, note="own key, own fresh confirmation"
)
DOCUMENT_READ = staff("document.read", CLASS_READERS, Scope.DOCUMENT)
LEDGER_PUBLISH = staff("ledger.publish", {Role.SO_ADMIN})
EMPLOYER_APPROVE = staff("employer.approve", {Role.SO_ADMIN})
ACCOUNT_ADMIN = staff("account.admin", {Role.SO_ADMIN}, note="an account alone grants nothing; roles need four eyes")
APPROVALS = staff("approvals", {Role.SO_ADMIN, Role.SO_CLERK, Role.PRINCIPAL}, anywhere=True, note="checker ≠ maker")

# -- admissions (issue #15) ------------------------------------------------------------------------
ADMISSIONS_MANAGE = staff(
    "admissions.manage", {Role.SO_ADMISSIONS}, note="the year's rules, the applicants' workbook, the allocation"
)
ADMISSIONS_READ = staff(
    "admissions.read",
    {Role.SO_ADMISSIONS, Role.INSPECTOR},
    note="an applicant's read goes to their access log (admissions/service.py)",
)

# -- progress of the roll-out (issue #16) ----------------------------------------------------------
PROGRESS_READ = staff(
    "progress.read",
    {*SO_ROLES, Role.COMMUNE_OFFICER},
    anywhere=True,
    note="aggregates only, small cells suppressed; a commune officer sees their own commune only",
)
# one class's aggregates: the guard finds the class's place, so a commune officer reads their own communes'
PROGRESS_CLASS_READ = staff(
    "progress.class.read",
    {*SO_ROLES, Role.COMMUNE_OFFICER},
    Scope.CLASS,
    note="aggregates only, small cells suppressed",
)
# the periodic report to the city: the workbook and the PDF sealed by the Sở's own seal, in the ledger
PROGRESS_REPORT = staff(
    "progress.report", {Role.SO_ADMIN, Role.SO_CLERK}, note="city-wide; the Sở's seal signs, the asker is audited"
)
# alerts (a school behind plan, a diploma deadline, a certificate expiring): each sees those they answer for
PROGRESS_ALERTS = staff(
    "progress.alerts",
    {*SO_ROLES, Role.COMMUNE_OFFICER, Role.PRINCIPAL, Role.SCHOOL_CLERK},
    anywhere=True,
    note="only the alerts about places the person's roles cover",
)
