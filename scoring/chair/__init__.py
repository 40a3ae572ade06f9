"""The panel chair: live board, reconciliation, amendments, finality, agreement report."""
