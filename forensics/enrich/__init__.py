"""Stage package: enrich."""
