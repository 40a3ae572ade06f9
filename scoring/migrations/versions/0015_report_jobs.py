"""background jobs of other kinds: agreement-report PDFs beside bulk sheet exports

Revision ID: 0015
Revises: 0008
Create Date: 2026-12-01 11:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("export_job") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=24), server_default="sheets",
                                   nullable=False))
        batch.add_column(sa.Column("params", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("export_job") as batch:
        batch.drop_column("params")
        batch.drop_column("kind")
