"""Survey imports: read any survey export, map its columns, validate and bulk-write responses.

The public surface, used by the pages, the command line and the benchmark:

* ``read_table(path) -> SourceTable`` detects container (CSV/XLSX), encoding, delimiter
  and layout (qualtrics, surveymonkey, limesurvey, typeform, google_forms, plain);
  file-level problems raise ``ImportFileError``.
* ``Mapping`` says which column feeds which field; ``propose_mapping`` guesses one.
* ``import_prepare`` stores an upload and creates an ``ImportJob`` (status uploaded);
  ``import_start`` validates the mapping and queues (or, with ``JOBS_EAGER``, runs) it;
  ``import_run`` does the work; ``import_progress`` reads progress for a progress bar.
* ``responses_export`` writes a wave's responses to CSV or XLSX.
"""

from research.importing.errors import ImportFileError, MappingInvalid, RowError
from research.importing.export import responses_export
from research.importing.jobs import (
    ImportOptions,
    follow_ups_create_for_job,
    import_configure,
    import_enqueue,
    import_prepare,
    import_progress,
    import_run,
    import_run_and_analyse,
    import_start,
    job_table,
    jobs_recover,
)
from research.importing.mapping import MAPPING_FIELDS, Mapping, propose_mapping
from research.importing.reading import LAYOUTS, SourceColumn, SourceRow, SourceTable, read_table

__all__ = [
    "LAYOUTS", "MAPPING_FIELDS", "ImportFileError", "ImportOptions", "Mapping", "MappingInvalid",
    "RowError", "SourceColumn", "SourceRow", "SourceTable", "follow_ups_create_for_job",
    "import_configure", "import_enqueue", "import_prepare", "job_table",
    "import_progress", "import_run", "import_run_and_analyse", "import_start", "jobs_recover",
    "propose_mapping",
    "read_table", "responses_export",
]
