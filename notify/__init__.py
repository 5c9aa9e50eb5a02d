"""Messages to victims: texts in nl/fr/de/en, calendar invites, SMS, the outbox."""
