"""a convocation's personal links can be withdrawn; its id is never given twice

``convocation.link_generation`` is signed into each personal link (``api.links``); raising
it withdraws every link issued before (a lost phone, a letter sent to the wrong address),
while the next message carries a link of the new generation.  Existing links are of
generation 0 and stay valid.  On SQLite the table is rebuilt with ``AUTOINCREMENT``: a
personal link names its convocation by id, and SQLite would give a deleted last id to the
next convocation (another victim's file); PostgreSQL's sequence never does.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ON_THE_WAITLIST = sa.text("waitlist_since IS NOT NULL")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # rebuilt below: the partial index is put back as it was
        op.drop_index('ix_convocation_waitlist', table_name='convocation')
    with op.batch_alter_table('convocation', schema=None,
                              recreate='always' if sqlite else 'auto',
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('link_generation', sa.Integer(), nullable=False,
                                      server_default='0'))
    if sqlite:
        op.create_index('ix_convocation_waitlist', 'convocation', ['waitlist_since', 'id'],
                        unique=False, sqlite_where=ON_THE_WAITLIST)


def downgrade() -> None:
    with op.batch_alter_table('convocation', schema=None) as batch_op:
        batch_op.drop_column('link_generation')
