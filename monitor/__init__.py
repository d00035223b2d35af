"""History, change detection, subscriptions, delivery, scheduling and the CLI."""
