"""Build the Lambda artifacts: the dependency and encoder layers, the function zip, the refresh image."""
