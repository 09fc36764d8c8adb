"""marshmallow schemas of the REST API: they parse and validate input and shape output, nothing more."""
