"""The platform-neutral core: engine, matcher and the reply it hands to adapters."""
