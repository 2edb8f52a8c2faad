"""The connectors service's private parts: Kibana's id rules and the resolve cache.

The public model and the service are :mod:`actions_core.connectors`; the SQL is
:mod:`actions_core._store.connectors`; sealing and key rotation are :mod:`actions_core.secrets`.
"""
