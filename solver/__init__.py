"""Optimisation models (CP-SAT and MIP). Integers and tuples only: no datetimes, no rows."""
