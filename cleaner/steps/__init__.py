"""The steps of a run, one module each, in data-flow order: ``fingerprint`` (pass 1: read,
extract, segment, fingerprint), ``group`` (the corpus-wide line groups), ``decide`` (pass 2),
``documents`` (the document step), ``index`` (the index update); pass 3 is
``cleaner.writing``. ``context`` holds what they all receive. ``cleaner.pipeline`` plans the
shards and calls them in order."""
