"""The rules every page reads: who sees which score, final scores and ranks."""
