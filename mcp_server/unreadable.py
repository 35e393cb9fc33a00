"""The JSON-RPC answer to a line that is not a message: -32700 or -32600, never silence.

The SDK's stdio transport hands the server the validation error of a line it could not read
as a JSON-RPC message, and the server drops it, so a client waiting on that request would
wait forever. JSON-RPC 2.0 answers such a line: "Parse error" (-32700) when it is not JSON,
"Invalid Request" (-32600) when it is JSON but not a message. The request's id is echoed
when it can be read from the line (a client waits on that id), else it is null.
"""

from __future__ import annotations

import json

from mcp_types import ErrorData, JSONRPCError, RequestId
from pydantic import ValidationError

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
_SHAPE = 'a JSON-RPC 2.0 object with "jsonrpc": "2.0" and a "method" (and an "id" for a request)'


def _id_of(value: object) -> RequestId | None:
    """The message's id, when it is one a client could be waiting on (a string or an integer)."""
    if isinstance(value, dict):
        found = value.get("id")
        if isinstance(found, str) or (isinstance(found, int) and not isinstance(found, bool)):
            return found
    return None


def _parsed_leniently(text: str) -> object:
    """The line as Python's json module reads it (it takes lone surrogates, which the SDK's
    parser refuses), or None when it is not JSON at all."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def unreadable_reply(error: Exception) -> JSONRPCError | None:
    """The error reply for a line the transport could not read as a message; None when there is
    nothing to answer: an error that is not about the line itself, or a malformed response (JSON-RPC
    never answers a response)."""
    if not isinstance(error, ValidationError) or not error.errors():
        return None
    first = error.errors()[0]
    given = first.get("input")
    if first["type"] == "json_invalid":
        detail = first.get("msg", "invalid JSON")
        request_id = _id_of(_parsed_leniently(given)) if isinstance(given, str) else None
        return JSONRPCError(
            jsonrpc="2.0", id=request_id, error=ErrorData(code=PARSE_ERROR, message=f"Parse error: {detail}; send {_SHAPE}, one per line")
        )
    # Each error is at a field of one kind of message; one that misses a field carries the whole object.
    whole = next((found["input"] for found in error.errors() if isinstance(found.get("input"), dict | list)), None)
    if isinstance(whole, dict) and "method" not in whole and ("result" in whole or "error" in whole):
        return None  # a malformed response of the client's: answering it would be a second reply to the server's own id
    what = "batches (JSON arrays) are not supported" if isinstance(whole, list) else f"expected {_SHAPE}"
    return JSONRPCError(jsonrpc="2.0", id=_id_of(whole), error=ErrorData(code=INVALID_REQUEST, message=f"Invalid Request: {what}"))
