"""Administration: sessions, people, panels, candidates, imports, corrections."""
