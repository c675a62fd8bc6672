"""KPI reporting: SQL KPIs (``kpis``), report content (``specs``, ``build``), files
(``render``), runs (``runs``, ``runner``). The Prefect flows are in ``workflows/reports.py``;
see docs/reports.md.
"""
