"""Ingestion: read files -> drop identifiers -> stage -> validate -> pseudonymise -> load."""
