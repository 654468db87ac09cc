"""HMA's ``GET /m/lookup?signal_type=&signal=``: one hash looked up, answered ``{bank: [match, ...]}``; the
bank's threshold applies, bad hashes are 400 (an unknown signal type 404), and the answer's schema is still
in the OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient

PDQ_A = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"
PDQ_NEAR = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b7db"  # 8 bits from PDQ_A
PDQ_FAR = "d294e50c56a93ad61863c5c2ad9057cb2be6937e3122fb21f5d947aa03664817"


def test_get_lookup_by_signal_answers_each_bank_with_its_matches(client: TestClient) -> None:
    assert client.post("/api/v1/c/banks", json={"name": "known"}).status_code == 201
    client.post("/api/v1/c/bank/known/signal", params={"content_id": "IMG_1"}, json={"pdq": PDQ_A})
    near = client.get("/api/v1/m/lookup", params={"signal_type": "pdq", "signal": PDQ_NEAR})
    assert near.status_code == 200 and near.headers["content-type"] == "application/json"
    assert near.json() == {"known": [{"bank_content_id": "IMG_1", "distance": 8, "bank": "known",
                                      "bank_kind": "known", "signal_type": "pdq"}]}
    assert client.get("/api/v1/m/lookup", params={"signal_type": "pdq", "signal": PDQ_A}).json()["known"][0][
        "distance"] == 0
    assert client.get("/api/v1/m/lookup", params={"signal_type": "pdq", "signal": PDQ_FAR}).json() == {}
    client.put("/api/v1/c/bank/known", json={"pdq_threshold": 5})
    assert client.get("/api/v1/m/lookup", params={"signal_type": "pdq", "signal": PDQ_NEAR}).json() == {}


def test_get_lookup_refuses_bad_or_missing_hashes_and_urls(client: TestClient) -> None:
    for params in ({"signal_type": "pdq", "signal": "zz"}, {"signal_type": "pdq", "signal": "ab" * 31},
                   {"signal_type": "pdq"}, {}, {"url": "http://127.0.0.1/x.jpg"}):
        answer = client.get("/api/v1/m/lookup", params=params)
        assert answer.status_code == 400 and answer.json()["message"], params
    assert client.get("/api/v1/m/lookup", params={"signal_type": "nosuch", "signal": PDQ_A}).status_code == 404


def test_lookup_answers_keep_their_schema_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/api/v1/m/lookup", "get"), ("/api/v1/m/lookup", "post"), ("/api/v1/m/raw_lookup", "get")):
        schema = paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema.get("type") == "object", (path, method, schema)


def test_lookup_parameters_are_checked_and_documented(client: TestClient) -> None:
    """The lookups read their query parameters themselves (for speed): the limits still hold and the OpenAPI
    document still names them."""
    for params, named in (({"signal": PDQ_A}, "signal_type is required"), ({"signal_type": "pdq"}, "signal is"),
                          ({"signal_type": "pdq", "signal": "a" * 201}, "signal is longer than 200"),
                          ({"signal_type": "pdq", "signal": PDQ_A, "include_distance": "perhaps"}, "true or false")):
        answer = client.get("/api/v1/m/raw_lookup", params=params)
        assert answer.status_code == 422 and named in answer.json()["message"], params
    assert client.get("/api/v1/m/lookup", params={"signal_type": "p" * 51, "signal": PDQ_A}).status_code == 422
    assert client.get("/api/v1/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ_A,
                                               "include_distance": "1"}).json() == {"matches": []}
    paths = client.get("/openapi.json").json()["paths"]
    raw = {p["name"]: p for p in paths["/api/v1/m/raw_lookup"]["get"]["parameters"]}
    assert raw["signal"]["required"] and raw["signal"]["schema"]["maxLength"] == 200
    assert raw["include_distance"]["schema"]["type"] == "boolean"
    assert {p["name"] for p in paths["/api/v1/m/lookup"]["get"]["parameters"]} == {"signal_type", "signal", "url"}


def test_get_lookup_needs_a_key(anonymous_client: TestClient) -> None:
    assert anonymous_client.get("/api/v1/m/lookup", params={"signal_type": "pdq", "signal": PDQ_A}).status_code == 401
