"""Framework-free domain logic: takes and returns plain data, tested without a database."""
