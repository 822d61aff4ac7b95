"""Pure decisions: no database, no clock of their own (`now` and the holidays are passed in), so
every rule is tested on fixed dates without a server."""
