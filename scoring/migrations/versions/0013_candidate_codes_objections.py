"""candidates: access codes, a session's candidate policy (objection window), objections

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-01 11:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

KINDS = "'sheet', 'recap', 'minutes', 'criteria', 'report'"


def _document_kinds(kinds: str) -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_constraint(op.f("ck_document_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_document_kind"), f"kind IN ({kinds})")


def upgrade():
    _document_kinds(KINDS + ", 'result'")
    op.create_table(
        "candidate_policy",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("objection_opens_at", sa.DateTime(), nullable=True),
        sa.Column("objection_closes_at", sa.DateTime(), nullable=True),
        sa.Column("share_notes", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["interview_session.id"], ondelete="CASCADE",
                                name=op.f("fk_candidate_policy_session_id_interview_session")),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_candidate_policy")),
    )
    op.create_table(
        "candidate_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"],
                                name=op.f("fk_candidate_code_assignment_id_assignment")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["user.id"],
                                name=op.f("fk_candidate_code_issued_by_id_user")),
        sa.ForeignKeyConstraint(["session_id"], ["interview_session.id"],
                                name=op.f("fk_candidate_code_session_id_interview_session")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_candidate_code_code_hash")),
    )
    op.create_index("ix_candidate_code_assignment_id", "candidate_code", ["assignment_id"])
    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachment_name", sa.String(length=200), nullable=True),
        sa.Column("attachment_type", sa.String(length=64), nullable=True),
        sa.Column("attachment_sha256", sa.String(length=64), nullable=True),
        sa.Column("receipt_hash", sa.String(length=64), nullable=False),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("correction_number", sa.Integer(), nullable=True),
        sa.CheckConstraint("category IN ('calculation', 'procedure', 'conflict', 'conduct', "
                           "'other')", name=op.f("ck_objection_category")),
        sa.CheckConstraint("status IN ('filed', 'assigned', 'accepted', 'rejected')",
                           name=op.f("ck_objection_status")),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"],
                                name=op.f("fk_objection_assignment_id_assignment")),
        sa.ForeignKeyConstraint(["responder_id"], ["user.id"],
                                name=op.f("fk_objection_responder_id_user")),
        sa.ForeignKeyConstraint(["session_id"], ["interview_session.id"],
                                name=op.f("fk_objection_session_id_interview_session")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_objection_assignment_id")),
        sa.UniqueConstraint("number", name=op.f("uq_objection_number")),
    )
    op.create_index(op.f("ix_objection_session_id"), "objection", ["session_id"])


def downgrade():
    op.drop_index(op.f("ix_objection_session_id"), table_name="objection")
    op.drop_table("objection")
    op.drop_index("ix_candidate_code_assignment_id", table_name="candidate_code")
    op.drop_table("candidate_code")
    op.drop_table("candidate_policy")
    op.execute("DELETE FROM document WHERE kind = 'result'")
    _document_kinds(KINDS)
