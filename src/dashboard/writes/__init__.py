"""The writes layer: every write parsed, checked, journaled and published; the journal and audit trail."""
