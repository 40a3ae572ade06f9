"""The role-aware home page and the language switch."""
