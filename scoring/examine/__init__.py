"""The examiner: queue, declaration, scoring page and its JSON API, discussion."""
