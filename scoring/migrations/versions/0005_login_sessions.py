"""login sessions (revocable logins), lockout reset time, failed logins by address

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01 05:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_login_session_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_session_token_hash")),
    )
    op.create_index(
        op.f("ix_login_session_user_id"), "login_session", ["user_id"], unique=False
    )
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("lockout_cleared_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ix_audit_event_action_ip_created_at",
        "audit_event",
        ["action", "ip", "created_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_audit_event_action_ip_created_at", table_name="audit_event")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("lockout_cleared_at")
    op.drop_index(op.f("ix_login_session_user_id"), table_name="login_session")
    op.drop_table("login_session")
