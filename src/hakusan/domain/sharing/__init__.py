"""Sharing rules that need no framework: TLP 2.0 order and marking ids."""
