"""index audit events by actor and action (login throttling)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 00:05:00

"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_audit_event_actor_action_created_at",
        "audit_event",
        ["actor", "action", "created_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_audit_event_actor_action_created_at", table_name="audit_event")
