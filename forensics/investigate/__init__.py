"""Stage package: investigate."""
