"""Stage package: demo."""
