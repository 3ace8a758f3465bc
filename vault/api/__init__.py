"""The REST API v1 (`/api/v1`): personal API tokens, resources over the features' own services, and the
OpenAPI 3.1 document generated from the pydantic models the views declare (spectree). See docs/api.md."""
