"""audit events wait in audit_pending and join the chain inside COMMIT (PostgreSQL)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 02:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# At COMMIT, for each event the transaction recorded (in the order recorded): lock the
# chain's head, number and hash the event there (sha256 over the same canonical text as
# scoring.workflow.audit.event_hash; the database is UTF-8), append it, move the head on and
# drop the waiting row. The head's lock is then held only for the rest of the COMMIT.
CHAIN_FUNCTION = """
CREATE FUNCTION audit_chain_pending() RETURNS trigger AS $$
DECLARE
    next_id integer;
    prev text;
    digest text;
BEGIN
    SELECT last_id + 1, last_hash INTO next_id, prev FROM audit_head WHERE id = 1 FOR UPDATE;
    IF next_id IS NULL THEN
        RAISE EXCEPTION 'audit_head has no row 1: the audit chain has no head';
    END IF;
    digest := encode(sha256(convert_to(
        NEW.text_before_id || next_id::text || NEW.text_before_prev || prev || NEW.text_after,
        'UTF8')), 'hex');
    INSERT INTO audit_event (id, created_at, actor_id, actor, action, object_type, object_id,
                             session_id, data, client_id, ip, user_agent, prev_hash, hash)
    VALUES (next_id, NEW.created_at, NEW.actor_id, NEW.actor, NEW.action, NEW.object_type,
            NEW.object_id, NEW.session_id, NEW.data, NEW.client_id, NEW.ip, NEW.user_agent,
            prev, digest);
    UPDATE audit_head SET last_id = next_id, last_hash = digest WHERE id = 1;
    DELETE FROM audit_pending WHERE seq = NEW.seq;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    op.create_table(
        "audit_pending",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("text_before_id", sa.Text(), nullable=False),
        sa.Column("text_before_prev", sa.Text(), nullable=False),
        sa.Column("text_after", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_pending")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CHAIN_FUNCTION)
        op.execute("CREATE CONSTRAINT TRIGGER audit_pending_chain AFTER INSERT ON audit_pending "
                   "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                   "EXECUTE FUNCTION audit_chain_pending()")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_pending_chain ON audit_pending")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_pending()")
    op.drop_table("audit_pending")
