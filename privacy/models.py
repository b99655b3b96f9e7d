"""Privacy (AVG/GDPR): access, portability and erasure of a person's data."""
