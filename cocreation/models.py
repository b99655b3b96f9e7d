"""Co-creation: improvement groups and the steering group, with customer delegates."""
