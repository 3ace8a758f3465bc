"""The API's reference page, rendered on the server from the generated document: no script, no CDN."""
from __future__ import annotations

from vault.markdown import render  # OpenAPI descriptions are CommonMark

METHODS = ("get", "post", "put", "patch", "delete")


def _type(schema: dict, components: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_type(s, components) for s in schema["anyOf"])
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}), components)}"
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    return str(kind)


def fields(schema: dict, components: dict) -> list[dict]:
    """The properties of a schema (following one $ref) as rows: name, type, required, description."""
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    required = set(schema.get("required", ()))
    return [{"name": name, "type": _type(prop, components), "required": name in required,
             "description": prop.get("description", "")}
            for name, prop in schema.get("properties", {}).items()]


def sections(doc: dict) -> list[dict]:
    """[{tag, operations: [{method, path, summary, description, parameters, body, responses}]}] by tag."""
    components = doc.get("components", {}).get("schemas", {})
    by_tag: dict[str, list] = {}
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            body = op.get("requestBody", {}).get("content", {})
            media, content = next(iter(body.items()), (None, {}))
            by_tag.setdefault((op.get("tags") or ["other"])[0], []).append({
                "id": op.get("operationId", f"{method}-{path}"), "method": method.upper(), "path": path,
                "summary": op.get("summary", ""), "description": op.get("description", ""),
                "description_html": render(op.get("description", "")),
                "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                "type": _type(p.get("schema", {}), components),
                                "description": p.get("description", "")} for p in op.get("parameters", [])],
                "body_media": media, "body": fields(content.get("schema", {}), components) if content else [],
                "responses": [{"code": code, "description": r.get("description", ""),
                               "media": next(iter(r.get("content", {})), ""), "headers": sorted(r.get("headers", {})),
                               "schema": _type(next(iter(r.get("content", {}).values()), {}).get("schema", {}),
                                               components) if r.get("content") else ""}
                              for code, r in sorted(op.get("responses", {}).items())]})
    return [{"tag": tag, "operations": ops} for tag, ops in sorted(by_tag.items())]
