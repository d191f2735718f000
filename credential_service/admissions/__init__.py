"""Admissions (tuyển sinh đầu cấp): grade 10 by exam and wishes, from a year's rules given as configuration.

Pure rules: ``year_rules`` (the year's configuration, validated when loaded), ``applicants`` (one applicant's
allocation input), ``allocation`` (the deterministic allocation, with explanations), ``result_json`` (its
byte-stable JSON), ``import_rules`` (the XLSX sheets, checked cell by cell). Then ``tables``, ``import_files``,
``service``, and the thin ``routes`` and ``cli``.
"""
