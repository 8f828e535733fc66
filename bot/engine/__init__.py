"""Question in, platform-neutral reply out: the matcher, the engine over one knowledge load,
the linter (which needs the matcher) and knowledge reloads."""
