"""Built-in plugins of actions-core, each its own package, loaded through entry points."""
