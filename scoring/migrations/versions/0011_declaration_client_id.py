"""conflict declarations: the tablet's client id, so a replayed declaration is applied once

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-01 10:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("conflict_declaration") as batch:
        batch.add_column(sa.Column("client_id", sa.String(64), nullable=True))


def downgrade():
    with op.batch_alter_table("conflict_declaration") as batch:
        batch.drop_column("client_id")
