"""Admissions (tuyển sinh đầu cấp): grade 10 by exam and wishes, from a year's rules given as configuration;
grades 1 and 6 by residence.

Pure rules: ``year_rules`` (the year's configuration, validated when loaded), ``applicants`` (one applicant's
allocation input), ``allocation`` (the deterministic allocation, with explanations), ``result_json`` (its
byte-stable JSON), ``import_rules`` (the XLSX sheets, checked cell by cell), ``residence`` (grades 1 and 6 by
residence, with the seeded lottery anyone re-draws with ``sha256sum``). Then ``tables``, ``import_files``,
``residence_registry`` (the population-registry port for residence and date of birth), ``service``, and the thin
``routes`` and ``cli``.
"""
