"""export jobs on the task queue: attempts, heartbeat lease, language and base URL

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-01 06:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("export_job") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0",
                                   nullable=False))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lang", sa.String(length=8), server_default="id",
                                   nullable=False))
        batch.add_column(sa.Column("base_url", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("export_job") as batch:
        batch.drop_column("base_url")
        batch.drop_column("lang")
        batch.drop_column("heartbeat_at")
        batch.drop_column("attempts")
