"""Operations: health endpoint and Prometheus metrics for self-hosters."""
