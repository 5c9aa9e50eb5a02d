"""The outer layer: the command line, and (later) the web service, database and jobs."""
