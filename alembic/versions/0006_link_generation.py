"""a convocation's personal links can be withdrawn

``convocation.link_generation`` is signed into each personal link (``api.links``); raising
it withdraws every link issued before (a lost phone, a letter sent to the wrong address),
while the next message carries a link of the new generation.  Existing links are of
generation 0 and stay valid.

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


def upgrade() -> None:
    with op.batch_alter_table('convocation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_generation', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('convocation', schema=None) as batch_op:
        batch_op.drop_column('link_generation')
