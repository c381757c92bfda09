"""The CTKG web API: a read-only SPARQL 1.1 endpoint, REST lookups and linked-data pages over the built graph.

`api.app.create_app(settings)` builds the application; nothing here runs at import time. Every query,
the API's own included, runs in a worker process (`api.worker`, started by `api.pool`) that can be killed
at its deadline.
"""
