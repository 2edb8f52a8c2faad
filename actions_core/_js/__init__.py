"""JavaScript semantics, implemented once: values (number text, ``String(v)``, truthiness, type
names and Kibana's "expected value of type" wording), ``JSON.parse`` / ``JSON.stringify``, and
Kibana's Mustache on top of them. Depends on nothing in actions_core but :mod:`actions_core.errors`.
"""
