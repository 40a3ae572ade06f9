"""Every state change of the application, as named verbs used by views and the CLI alike."""

from .amendments import approve_amendment, may_decide, reject_amendment, request_amendment
from .audit import CLI, ChainCheck, RequestInfo, record, verify_chain
from .errors import WorkflowError
from .imports import ImportReport, import_candidates, import_examiners
from .people import (
    create_user,
    record_failed_login,
    record_login,
    record_logout,
    set_active,
    set_password,
)
from .sessions import (
    assign_candidate,
    change_session_rubric,
    create_candidate,
    create_panel,
    create_session,
    panel_quorum,
    session_rubric,
    set_session_status,
)
from .sheets import (
    Receipt,
    can_see_colleagues,
    declare_conflict,
    decode_signature,
    missing_items,
    save_draft,
    sheet_state,
    submit_sheet,
)

__all__ = [
    "CLI",
    "ChainCheck",
    "ImportReport",
    "Receipt",
    "RequestInfo",
    "WorkflowError",
    "approve_amendment",
    "assign_candidate",
    "can_see_colleagues",
    "change_session_rubric",
    "create_candidate",
    "create_panel",
    "create_session",
    "create_user",
    "declare_conflict",
    "decode_signature",
    "import_candidates",
    "import_examiners",
    "may_decide",
    "missing_items",
    "panel_quorum",
    "record",
    "record_failed_login",
    "record_login",
    "record_logout",
    "reject_amendment",
    "request_amendment",
    "save_draft",
    "session_rubric",
    "set_active",
    "set_password",
    "set_session_status",
    "sheet_state",
    "submit_sheet",
    "verify_chain",
]
