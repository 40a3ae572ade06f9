"""Public pages without login: published criteria and results."""
