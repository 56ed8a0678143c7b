"""Cross-cutting conventions every feature uses: config, db, errors, pagination, HTTP rules."""
