"""HMA's exchange fetch, for pytx's static sample exchange only: its signals go into a bank named after the
exchange through the server's own routes (one content per signal, as HMA's fetcher stores them)."""

from __future__ import annotations

import typing as t

from threatexchange.exchanges.impl.static_sample import StaticSampleSignalExchangeAPI


def fetch_all(storage: t.Any, signal_type_configs: dict[str, t.Any]) -> None:
    types = [cfg.signal_type for cfg in signal_type_configs.values()]
    for name, collab in storage.exchanges.items():
        assert collab.api == StaticSampleSignalExchangeAPI.get_name(), f"exchange {collab.api} is not emulated"
        response = storage.client.post("/c/banks", json={"name": name})
        assert response.status_code in (201, 403), response.data
        for delta in StaticSampleSignalExchangeAPI.for_collab(collab).fetch_iter(types, None):
            for signal_type, signal in delta.updates:
                added = storage.client.post(f"/c/bank/{name}/signal", json={signal_type: signal})
                assert added.status_code == 200, added.data
