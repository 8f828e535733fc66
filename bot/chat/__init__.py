"""The platform-neutral chat service: requests in, responses out, every behaviour once."""
