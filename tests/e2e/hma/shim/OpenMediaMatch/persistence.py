"""``get_storage()``: HMA's storage, here a thin client of the running server's HMA routes."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

# HMA's default configuration (OpenMediaMatch's omm_config: PDQ and video MD5), as far as the server lists it.
HMA_DEFAULT_SIGNAL_TYPES = {cls.get_name(): cls for cls in (PdqSignal, VideoMD5Signal)}


@dataclass
class SignalTypeConfig:
    signal_type: type
    enabled_ratio: float

    @property
    def enabled(self) -> bool:
        return self.enabled_ratio > 0


class ServerStorage:
    def __init__(self, client: t.Any) -> None:
        self.client = client
        self.exchanges: dict[str, t.Any] = {}
        self.exchange_types: dict[str, t.Any] = {}

    def get_signal_type_configs(self) -> dict[str, SignalTypeConfig]:
        listed = self.client.get("/c/signal_type").json
        return {row["name"]: SignalTypeConfig(HMA_DEFAULT_SIGNAL_TYPES[row["name"]], row["enabled_ratio"])
                for row in listed if row["name"] in HMA_DEFAULT_SIGNAL_TYPES}

    def get_signal_type_index(self, signal_type: type) -> object | None:
        """None until the server's worker has built its index (HMA: until the index task ran), else its status."""
        status = self.client.get(f"/m/index/status?signal_type={signal_type.get_name()}").json
        entry = status[signal_type.get_name()]
        return entry if entry["present"] else None

    def bank_update(self, bank: t.Any, create: bool = False, rename_from: str | None = None) -> None:
        body = {"name": bank.name, "enabled_ratio": bank.matching_enabled_ratio}
        if create:
            response = self.client.post("/c/banks", json=body)
        else:
            response = self.client.put(f"/c/bank/{rename_from or bank.name}", json=body)
        assert response.status_code in (200, 201), response.data

    def bank_add_content(self, bank_name: str, signals: dict[type, str], config: t.Any = None) -> int:
        body = {cls.get_name(): value for cls, value in signals.items()}
        response = self.client.post(f"/c/bank/{bank_name}/signal", json=body)
        assert response.status_code == 200, response.data
        return int(response.json["id"])

    def exchange_api_config_update(self, config: t.Any) -> None:
        self.exchange_types[config.api_cls.get_name()] = config.api_cls

    def exchange_update(self, config: t.Any, create: bool = False) -> None:
        self.exchanges[config.name] = config


_current: ServerStorage | None = None


def set_storage(storage: ServerStorage | None) -> None:
    global _current
    _current = storage


def get_storage() -> ServerStorage:
    assert _current is not None, "no server running (use the app fixture)"
    return _current
