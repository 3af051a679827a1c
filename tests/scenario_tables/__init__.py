"""The reload scenario tables, one module per group (``test_scenarios.py`` runs them)."""
