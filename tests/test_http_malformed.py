"""Malformed, oversized and misdirected requests to `serve --http` get protocol errors, never a crash.

Against a real server process, in both protocol eras: the handshake era (no
MCP-Protocol-Version header, or a 2025 revision; what most clients in the field send)
and 2026-07-28 (per-request `_meta` envelope). Each case states the answer the
Streamable HTTP transport and JSON-RPC 2.0 call for, and after each one the server
must still answer `tools/list`.

- Input the server cannot accept: an HTTP 4xx; where there is a body, a JSON-RPC error
  with `id: null` (the spec: "The HTTP response body MAY comprise a JSON-RPC error
  response that has no id"). Not JSON: -32700. JSON that is not one JSON-RPC message
  (a batch, a number, a string, no method, params not an object): -32600.
- A well-formed request for something that does not exist: a JSON-RPC error for that id
  (-32601), HTTP 200 in the handshake era, 404 in 2026-07-28 (the SDK's status table).
- Over the body limit (1 MiB): 413, with or without a Content-Length.
- No JSON Content-Type: 400. No Accept (or no application/json in it, as this server
  answers JSON): 406.
- GET, DELETE or any other method on the endpoint: 405 with `Allow: POST`. A stateless
  server has no SSE stream to offer and no session to delete.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer, live_server

JSON_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
MODERN = "2026-07-28"
ENVELOPE = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
LIMIT = 1024 * 1024
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602


@pytest.fixture(scope="module")
def server(index_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(index_path, tmp_path_factory.mktemp("http-malformed")) as running:
        yield running
    assert "Traceback" not in running.stderr()


def request(method: str, params: Any = None, *, era: str = "handshake", number: int = 1) -> tuple[bytes, dict[str, str]]:
    """A well-formed JSON-RPC request and its headers for `era`."""
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": number, "method": method}
    headers = dict(JSON_HEADERS)
    if era == "modern":
        message["params"] = {**(params or {}), "_meta": ENVELOPE}
        headers |= {"mcp-protocol-version": MODERN, "mcp-method": method}
    elif params is not None:
        message["params"] = params
    return json.dumps(message).encode(), headers


def send(server: LiveServer, method: str, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    """One request with exactly these headers (httpx's default `Accept: */*` removed unless given)."""
    with httpx.Client(timeout=10) as client:
        built = client.build_request(method, server.url, content=body, headers=headers or {})
        if "accept" not in {name.lower() for name in headers or {}}:
            del built.headers["accept"]
        return client.send(built)


def assert_alive(server: LiveServer) -> None:
    """The server still answers a valid tools/list (in both eras)."""
    for era in ("handshake", "modern"):
        body, headers = request("tools/list", era=era, number=99)
        answer = send(server, "POST", body, headers)
        assert answer.status_code == 200, (era, answer.status_code, answer.text[:300])
        tools = {tool["name"] for tool in answer.json()["result"]["tools"]}
        assert {"search_transcript", "get_turn"} <= tools


def rpc_error(answer: httpx.Response, status: int, code: int, *, id_: object = None) -> dict[str, Any]:
    """The answer is HTTP `status` carrying one JSON-RPC error `code` for `id_`, with a short message."""
    assert answer.status_code == status, (answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()
    assert error["jsonrpc"] == "2.0" and "id" in error and error["id"] == id_, error
    assert "result" not in error and error["error"]["code"] == code, error
    message = error["error"]["message"]
    assert isinstance(message, str) and message.strip() and len(message) <= 400, message
    return dict(error["error"])


ERAS = ["handshake", "modern"]
ERA_HEADERS = {"handshake": {}, "modern": {"mcp-protocol-version": MODERN}}


# --- bodies that are not one JSON-RPC message ---------------------------------------

NOT_JSON = {
    "garbage": b"{not json",
    "empty": b"",
    "truncated": b'{"jsonrpc": "2.0", "id": 1, "method": "tools/li',
    "invalid utf-8": b'{"jsonrpc": "2.0", "id": 1, "method": "\xff\xfe"}',
    "5000-digit number": b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"n": ' + b"9" * 5000 + b"}}",
    "100k-deep nesting": b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
}

NOT_ONE_MESSAGE = {
    "array of garbage": [1, "x", None, {"a": []}],
    "empty array": [],
    "number": 42,
    "string": "tools/list",
    "null": None,
    "true": True,
    "batch of two requests": [
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ],
    "missing method": {"jsonrpc": "2.0", "id": 1},
    "method not a string": {"jsonrpc": "2.0", "id": 1, "method": 7},
    "missing jsonrpc": {"id": 1, "method": "tools/list"},
    "jsonrpc 1.0": {"jsonrpc": "1.0", "id": 1, "method": "tools/list"},
    "params an array": {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": [1, 2]},
    "params a string": {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": "search_transcript"},
    "params a number": {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": 3},
}


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("case", sorted(NOT_JSON))
def test_a_body_that_is_not_json_is_a_parse_error(server: LiveServer, era: str, case: str) -> None:
    answer = send(server, "POST", NOT_JSON[case], JSON_HEADERS | ERA_HEADERS[era])
    rpc_error(answer, 400, PARSE_ERROR)
    assert_alive(server)


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("case", sorted(NOT_ONE_MESSAGE))
def test_json_that_is_not_one_message_is_an_invalid_request(server: LiveServer, era: str, case: str) -> None:
    answer = send(server, "POST", json.dumps(NOT_ONE_MESSAGE[case]).encode(), JSON_HEADERS | ERA_HEADERS[era])
    error = rpc_error(answer, 400, INVALID_REQUEST)
    assert "validation error" not in error["message"].lower(), "pydantic's dump of the body leaked into the answer"
    assert_alive(server)


# --- well-formed requests the server cannot serve -------------------------------------


@pytest.mark.parametrize(("era", "status"), [("handshake", 200), ("modern", 404)])
def test_an_unknown_method_is_method_not_found(server: LiveServer, era: str, status: int) -> None:
    body, headers = request("no/such/method", {}, era=era, number=41)
    error = rpc_error(send(server, "POST", body, headers), status, METHOD_NOT_FOUND, id_=41)
    assert error.get("data") == "no/such/method"
    assert_alive(server)


def test_wrong_params_for_a_known_method_are_invalid_params(server: LiveServer) -> None:
    body, headers = request("tools/call", {"name": 5, "arguments": "all of them"}, number=42)
    rpc_error(send(server, "POST", body, headers), 200, INVALID_PARAMS, id_=42)
    assert_alive(server)


def test_a_modern_request_without_its_envelope_is_invalid_params(server: LiveServer) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 43, "method": "tools/list", "params": {}}).encode()
    headers = JSON_HEADERS | {"mcp-protocol-version": MODERN, "mcp-method": "tools/list"}
    error = rpc_error(send(server, "POST", body, headers), 400, INVALID_PARAMS, id_=43)
    assert "_meta" in error["message"]
    assert_alive(server)


@pytest.mark.parametrize("era", ERAS)
def test_bad_tool_arguments_are_a_short_tool_error(server: LiveServer, era: str) -> None:
    """Not a protocol error: the model reads it and fixes the call. One line per argument, no echo."""
    arguments = {"query": "agent", "limit": "x" * 200_000, "start": [1.5] * 10_000}
    body, headers = request("tools/call", {"name": "search_transcript", "arguments": arguments}, era=era, number=44)
    if era == "modern":
        headers["mcp-name"] = "search_transcript"
    answer = send(server, "POST", body, headers)
    assert answer.status_code == 200, answer.text[:300]
    result = answer.json()["result"]
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert "- limit: should be a valid integer" in text and "- start: should be a valid string or a valid integer" in text
    assert len(text) < 500, text
    assert_alive(server)


@pytest.mark.parametrize("era", ERAS)
def test_a_notification_is_accepted_without_a_body(server: LiveServer, era: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode()
    answer = send(server, "POST", body, JSON_HEADERS | ERA_HEADERS[era])
    assert answer.status_code == 202 and answer.content == b""
    assert_alive(server)


# --- the body limit -------------------------------------------------------------------


def _chunks(total: int) -> Iterator[bytes]:
    chunk = b" " * 65536
    for _ in range(total // len(chunk)):
        yield chunk


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_over_the_limit_is_refused_with_413(server: LiveServer, era: str, framing: str) -> None:
    body, headers = request("tools/list", {"padding": "x" * (LIMIT + 1)}, era=era)
    content: bytes | Iterator[bytes] = body if framing == "content-length" else _chunks(LIMIT + 65536 * 4)
    answer = send(server, "POST", content, headers)
    assert answer.status_code == 413, answer.text[:300]
    assert_alive(server)


def test_a_body_just_under_the_limit_is_served(server: LiveServer) -> None:
    body, headers = request("tools/list", {"padding": ""}, number=45)
    padded = body.replace(b'"padding": ""', b'"padding": "' + b"x" * (LIMIT - len(body) - 8) + b'"')
    assert LIMIT - 16 < len(padded) <= LIMIT
    answer = send(server, "POST", padded, headers)
    assert answer.status_code == 200 and answer.json()["id"] == 45


# --- headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None])
def test_a_body_that_is_not_declared_json_is_refused_with_400(server: LiveServer, era: str, content_type: str | None) -> None:
    body, headers = request("tools/list", {}, era=era)
    del headers["content-type"]
    if content_type is not None:
        headers["content-type"] = content_type
    answer = send(server, "POST", body, headers)
    error = rpc_error(answer, 400, INVALID_REQUEST, id_=1)  # in JSON-RPC, for the request's id, saying what to send
    assert "Content-Type: application/json" in error["message"]
    assert_alive(server)


@pytest.mark.parametrize("version", ["1999-01-01", "2026-13-99", "x" * 500])
def test_an_unsupported_protocol_version_header_names_the_supported_ones(server: LiveServer, version: str) -> None:
    """A request without the 2026-07-28 envelope (which the SDK answers itself) and a header naming no version we speak."""
    body, headers = request("tools/list", {}, number=12)
    headers["mcp-protocol-version"] = version
    error = rpc_error(send(server, "POST", body, headers), 400, -32022, id_=12)
    assert "Unsupported protocol version" in error["message"] and "2025-06-18" in error["message"]
    assert "_meta" not in error["message"]
    assert error["data"]["supported"][-1] == MODERN and error["data"]["requested"] == version
    assert_alive(server)


@pytest.mark.parametrize("era", ERAS)
def test_a_foreign_host_is_told_how_to_allow_it(server: LiveServer, era: str) -> None:
    body, headers = request("tools/list", {}, era=era)
    error = rpc_error(send(server, "POST", body, headers | {"host": "corpus.example.org:8000"}), 421, INVALID_REQUEST)
    assert "--allowed-host corpus.example.org" in error["message"]
    error = rpc_error(send(server, "POST", body, headers | {"origin": "http://evil.example.com"}), 403, INVALID_REQUEST)
    assert "Origin 'http://evil.example.com' is not allowed" in error["message"]


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("accept", [None, "text/event-stream", "text/html"])
def test_a_client_that_does_not_accept_json_gets_406(server: LiveServer, era: str, accept: str | None) -> None:
    body, headers = request("tools/list", {}, era=era)
    del headers["accept"]
    if accept is not None:
        headers["accept"] = accept
    answer = send(server, "POST", body, headers)
    assert answer.status_code == 406, answer.text[:300]
    assert_alive(server)


# --- methods other than POST -------------------------------------------------------------


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize(
    ("method", "accept"), [("GET", "text/event-stream"), ("GET", "application/json"), ("DELETE", None), ("PUT", None), ("PATCH", None)]
)
def test_other_methods_get_405_in_stateless_mode(server: LiveServer, era: str, method: str, accept: str | None) -> None:
    """GET must not open an SSE stream that nothing will ever be written to (it would hang)."""
    headers = ERA_HEADERS[era] | ({"accept": accept} if accept else {}) | {"mcp-session-id": "0123456789abcdef"}
    answer = send(server, method, None, headers)
    assert answer.status_code == 405, answer.text[:300]
    assert answer.headers["allow"] == "POST"
    rpc_error(answer, 405, INVALID_REQUEST)
    assert_alive(server)


def test_a_get_from_a_foreign_host_is_still_refused_as_such(server: LiveServer) -> None:
    """DNS-rebinding protection answers before the 405."""
    assert send(server, "GET", None, {"accept": "text/event-stream", "host": "evil.example.com"}).status_code == 421
    assert send(server, "GET", None, {"accept": "text/event-stream", "origin": "http://evil.example.com"}).status_code == 403


def test_healthz_only_reads(server: LiveServer) -> None:
    assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200
    refused = httpx.post(f"{server.base}/healthz", timeout=5)
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"


def test_unknown_paths_are_404(server: LiveServer) -> None:
    body, headers = request("tools/list")
    answer = httpx.post(f"{server.base}/not-mcp", content=body, headers=headers, timeout=5)
    assert answer.status_code == 404
    assert_alive(server)
