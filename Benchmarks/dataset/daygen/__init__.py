"""daygen: a deterministic generator of four days of logs for a 300-person company (Acme Corp),
in native formats (GitHub audit log JSON lines, Squid access.log, BIND query log, Linux audit
log), with the enrichment context and threat intelligence, planted attacks on the last day and
an exact manifest of what was planted. Python 3 standard library only.

Entry point: Benchmarks/dataset/generate.py (see README "The Acme day: a dataset with planted
attacks").
"""
