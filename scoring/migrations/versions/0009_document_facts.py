"""keep the plain-data facts each signed document was sealed with (shown by /verify)

Revision ID: 0009
Revises: 0003
Create Date: 2026-12-01 05:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("facts", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("document") as batch:
        batch.drop_column("facts")
