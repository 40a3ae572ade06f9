"""documents record the audit chain head they were sealed with

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-01 05:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("audit_event", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("audit_hash", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("document") as batch:
        batch.drop_column("audit_hash")
        batch.drop_column("audit_event")
