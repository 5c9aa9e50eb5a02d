"""Messages to victims: texts in nl/fr/de/en, calendar invites, SMS and e-mail, the outbox.

* :mod:`notify.model` what notify knows of an appointment (nothing medical);
* :mod:`notify.messages` the four kinds of message per language, from ``templates/*.toml``;
* :mod:`notify.ics` invites (REQUEST/CANCEL) and doctors' calendar feeds;
* :mod:`notify.phone` E.164 phone numbers, checked at entry;
* :mod:`notify.outbox` the outbox and its worker (exactly once, retries, failures);
  :mod:`notify.outbox_sql` its tables on SQLAlchemy Core;
* :mod:`notify.sms` Twilio, :mod:`notify.mail` SMTP, :mod:`notify.senders` console/file;
* :mod:`notify.callbacks` Twilio's delivery reports and STOP/START, signatures checked;
* :mod:`notify.reminders` the day-before reminder;
* :mod:`notify.errors` the exception tree.

``notify`` imports nothing of the project but :mod:`scheduler.domain`.
"""
