"""Stage 1: ingest log files into a case (see `engine.ingest_files`)."""
