"""the waitlist's index holds only the convocations on it

A freed slot is offered to the waitlisted convocations, longest waiting first.  The index
on ``waitlist_since`` held every convocation (nearly all with none), and SQLite's planner
preferred the status index to it: it read every pending and scheduled convocation at each
reschedule or cancel.  A partial index on (``waitlist_since``, ``id``) of the convocations
on the waitlist is small and in the order the offer reads them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ON_THE_WAITLIST = sa.text("waitlist_since IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table('convocation', schema=None) as batch_op:
        batch_op.drop_index('ix_convocation_waitlist_since')
        batch_op.create_index('ix_convocation_waitlist', ['waitlist_since', 'id'],
                              unique=False, sqlite_where=ON_THE_WAITLIST,
                              postgresql_where=ON_THE_WAITLIST)


def downgrade() -> None:
    with op.batch_alter_table('convocation', schema=None) as batch_op:
        batch_op.drop_index('ix_convocation_waitlist')
        batch_op.create_index('ix_convocation_waitlist_since', ['waitlist_since'],
                              unique=False)
