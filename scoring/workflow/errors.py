"""The error every workflow verb raises when an action is not allowed."""


class WorkflowError(Exception):
    """An action refused by the rules; ``code`` is stable, ``message`` is for people.

    ``status`` is the HTTP status a view should answer with.
    """

    def __init__(self, code: str, message, status: int = 409):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.status = status

    def to_dict(self) -> dict:
        """Return a JSON-able form (the message rendered in the current locale)."""
        return {"error": self.code, "message": str(self.message)}
