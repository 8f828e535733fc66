"""Running the bot: building the services, the process life cycle, health and metrics."""
