"""Turn platform-neutral replies into text for one medium."""
