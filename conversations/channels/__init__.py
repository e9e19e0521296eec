"""Customer channels other than the REST API."""
