"""Admissions (tuyển sinh đầu cấp): grade 10 by exam and wishes, from a year's rules given as configuration;
grades 1 and 6 by residence.

Pure rules: ``year_rules`` (the year's configuration, validated when loaded), ``applicants`` (one applicant's
allocation input), ``allocation`` (the deterministic allocation, with explanations), ``result_json`` (its
byte-stable JSON), ``import_rules`` (the XLSX sheets, checked cell by cell), ``residence`` (grades 1 and 6 by
residence, with the seeded lottery anyone re-draws with ``sha256sum``). Then ``tables``, ``import_files``,
``residence_registry`` (the population-registry port for residence and date of birth), ``service``, and the thin
``routes`` and ``cli``. Publication: ``publication_rules`` (pure: the lists' minimum fields and the diff of who
moved), ``results_pdf`` (the PDFs), ``publication`` (signed by the Sở's seal and ledgered) and ``appeals``
(phúc khảo: new scores, a new run and the signed diff, all in one transaction).
"""
