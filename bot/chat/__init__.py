"""Chat-facing pictures, such as the /stats chart, kept apart from the text replies."""
