"""calibration sets, attempts, the certification gate and shadow examiners (issue 15)

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-01 11:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calibration_set",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rubric_id", sa.String(100), nullable=False),
        sa.Column("rubric_version", sa.String(50), nullable=False),
        sa.Column("rubric_hash", sa.String(64), nullable=False),
        sa.Column("rubric_snapshot", sa.Text(), nullable=False),
        sa.Column("min_exact", sa.Float(), nullable=False),
        sa.Column("min_adjacent", sa.Float(), nullable=False),
        sa.Column("max_abs_deviation", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "calibration_case",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("set_id", sa.Integer(),
                  sa.ForeignKey("calibration_set.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("media", sa.String(300), nullable=True),
        sa.Column("media_sha256", sa.String(64), nullable=True),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.UniqueConstraint("set_id", "code"),
    )
    op.create_table(
        "calibration_attempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("set_id", sa.Integer(), sa.ForeignKey("calibration_set.id"), nullable=False),
        sa.Column("examiner_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("exact", sa.Float(), nullable=True),
        sa.Column("adjacent", sa.Float(), nullable=True),
        sa.Column("mean_deviation", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
    )
    op.create_index("ix_calibration_attempt_examiner_id", "calibration_attempt",
                    ["examiner_id"])
    op.create_table(
        "calibration_answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("attempt_id", sa.Integer(),
                  sa.ForeignKey("calibration_attempt.id", ondelete="CASCADE"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("calibration_case.id"), nullable=False),
        sa.Column("scores", sa.Text(), nullable=False),
        sa.Column("client_seq", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("attempt_id", "case_id"),
    )
    op.create_table(
        "calibration_requirement",
        sa.Column("session_id", sa.Integer(),
                  sa.ForeignKey("interview_session.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("set_id", sa.Integer(), sa.ForeignKey("calibration_set.id"), nullable=False),
        sa.Column("min_exact", sa.Float(), nullable=False),
        sa.Column("min_adjacent", sa.Float(), nullable=False),
        sa.Column("max_abs_deviation", sa.Float(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=False),
    )
    op.create_table(
        "certification_override",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("interview_session.id"),
                  nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("session_id", "user_id"),
    )
    op.create_table(
        "shadow_seat",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("panel_id", sa.Integer(), sa.ForeignKey("panel.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("panel_id", "user_id"),
    )
    op.create_table(
        "shadow_sheet",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("assignment_id", sa.Integer(), sa.ForeignKey("assignment.id"), nullable=False),
        sa.Column("examiner_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("conflict", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("scores", sa.Text(), nullable=False),
        sa.Column("client_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("assignment_id", "examiner_id"),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'recused')", name="status"),
        sa.CheckConstraint("conflict IN ('none', 'family', 'workplace', 'acquaintance', "
                           "'other')", name="conflict"),
    )
    op.create_index("ix_shadow_sheet_examiner_id", "shadow_sheet", ["examiner_id"])


def downgrade():
    op.drop_index("ix_shadow_sheet_examiner_id", "shadow_sheet")
    op.drop_table("shadow_sheet")
    op.drop_table("shadow_seat")
    op.drop_table("certification_override")
    op.drop_table("calibration_requirement")
    op.drop_table("calibration_answer")
    op.drop_index("ix_calibration_attempt_examiner_id", "calibration_attempt")
    op.drop_table("calibration_attempt")
    op.drop_table("calibration_case")
    op.drop_table("calibration_set")
