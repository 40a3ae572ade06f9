"""finality: absent sheets, marked candidates, quorum recorded at close, publications

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 05:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _check(table: str, name: str, new: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), new)


def upgrade():
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quorum_at_close", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("scored_at_close", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("status_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("score_sheet", schema=None) as batch_op:
        batch_op.add_column(sa.Column("absent_reason", sa.Text(), nullable=True))
    _check("assignment", "status",
           "status IN ('pending', 'discussion', 'closed', 'absent', 'withdrawn', "
           "'not_assessable')")
    _check("score_sheet", "status", "status IN ('draft', 'submitted', 'recused', 'absent')")
    _check("interview_session", "status",
           "status IN ('draft', 'open', 'closed', 'correction')")
    # Closed candidates of an existing database: record the quorum in force now, once.
    op.execute(
        "UPDATE assignment SET quorum_at_close = (SELECT panel.quorum FROM panel "
        "WHERE panel.id = assignment.panel_id), scored_at_close = (SELECT count(*) "
        "FROM score_sheet WHERE score_sheet.assignment_id = assignment.id "
        "AND score_sheet.status = 'submitted') WHERE status = 'closed'")
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["published_by_id"], ["user.id"],
                                name=op.f("fk_publication_published_by_id_user")),
        sa.ForeignKeyConstraint(["session_id"], ["interview_session.id"],
                                name=op.f("fk_publication_session_id_interview_session")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        sa.UniqueConstraint("session_id", "number",
                            name=op.f("uq_publication_session_id_number")),
    )


def downgrade():
    op.drop_table("publication")
    _check("interview_session", "status", "status IN ('draft', 'open', 'closed')")
    _check("score_sheet", "status", "status IN ('draft', 'submitted', 'recused')")
    _check("assignment", "status", "status IN ('pending', 'discussion', 'closed')")
    with op.batch_alter_table("score_sheet", schema=None) as batch_op:
        batch_op.drop_column("absent_reason")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_column("status_reason")
        batch_op.drop_column("scored_at_close")
        batch_op.drop_column("quorum_at_close")
