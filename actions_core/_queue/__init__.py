"""Queued execution on Celery: the executions table, tasks, retries and backoff, the sweeper."""
