"""STIX 2.1 mapping without Django: deterministic ids, TLP markings, our observable types ↔
STIX cyber-observable objects and patterns, pattern parsing, bundle loading and validation.

The Django side (``hakusan.sharing``) reads the database and calls these functions; nothing
here touches a model."""
