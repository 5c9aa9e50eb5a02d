"""Domain core: convocations, doctors, sessions, calendars, rules and the planning use cases."""
