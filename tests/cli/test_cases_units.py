"""Pure pieces of the case CLI and client: ids, --set parsing, TLS settings, unreachable server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from temporalio.client import TLSConfig

from casework.cli._values import BadValue, parse_sets
from casework.client import connect, new_case_id, split_task_id, tls_config
from casework.errors import ConfigError, EngineUnavailableError, NotFoundError
from casework.language.model import FieldSpec
from casework.settings import Settings

FIELDS = {
    "n": FieldSpec(type="integer"),
    "x": FieldSpec(type="number"),
    "ok": FieldSpec(type="boolean"),
    "tags": FieldSpec(type="list", items="string"),
    "nums": FieldSpec(type="list", items="integer"),
    "day": FieldSpec(type="date"),
    "at": FieldSpec(type="datetime"),
    "name": FieldSpec(type="string"),
}


def test_case_ids_have_the_documented_shape() -> None:
    ids = {new_case_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"C-\d{6}-[0-9A-F]{6}", i) for i in ids)


def test_task_ids_split_and_bad_ones_are_not_found() -> None:
    assert split_task_id("C-260101-ABCDEF.review.2") == ("C-260101-ABCDEF", "review", 2)
    for bad in ("C-1", "C-1.review", "C-1.review.x", ".a.1"):
        with pytest.raises(NotFoundError):
            split_task_id(bad)


def test_set_values_parse_by_field_type() -> None:
    got = parse_sets(
        ["n=4", "x=2.5", "ok=no", "tags=a, b", "nums=1,2", "day=2026-01-31",
         "at=2026-01-31T10:00:00", "name=a=b"],
        FIELDS, "case",
    )  # fmt: skip
    assert got == {
        "n": 4, "x": 2.5, "ok": False, "tags": ["a", "b"], "nums": [1, 2], "day": "2026-01-31",
        "at": "2026-01-31T10:00:00+00:00", "name": "a=b",
    }  # fmt: skip
    assert parse_sets(["a=1", "b=true", "c=hi"], None, "event") == {"a": 1, "b": True, "c": "hi"}


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("n=four", "'four' is not a whole number"),
        ("x=abc", "'abc' is not a number"),
        ("ok=maybe", "is not true or false"),
        ("day=31/01/2026", "is not a date"),
        ("nums=1,x", "'x' is not a whole number"),
        ("nope=1", "has no field 'nope'"),
        ("novalue", "expected key=value"),
    ],
)
def test_bad_set_values_are_one_clear_line(pair: str, message: str) -> None:
    with pytest.raises(BadValue, match=re.escape(message)) as err:
        parse_sets([pair], FIELDS, "case")
    assert "\n" not in str(err.value)
    assert err.value.exit_code == 2


def test_tls_settings(tmp_path: Path) -> None:
    assert tls_config(Settings()) is False
    assert tls_config(Settings(temporal_tls=True)) is True
    assert tls_config(Settings(temporal_api_key="k")) is True
    for name in ("cert", "key", "ca"):
        (tmp_path / name).write_bytes(name.encode())
    cfg = tls_config(
        Settings(
            temporal_tls_cert=tmp_path / "cert",
            temporal_tls_key=tmp_path / "key",
            temporal_tls_ca=tmp_path / "ca",
        )
    )
    assert isinstance(cfg, TLSConfig)
    assert (cfg.client_cert, cfg.client_private_key, cfg.server_root_ca_cert) == (
        b"cert", b"key", b"ca",
    )  # fmt: skip
    with pytest.raises(ConfigError, match="both a client certificate and a key"):
        tls_config(Settings(temporal_tls_cert=tmp_path / "cert"))
    with pytest.raises(ConfigError, match="cannot read the Temporal cert file"):
        tls_config(Settings(temporal_tls_cert=tmp_path / "no", temporal_tls_key=tmp_path / "key"))


async def test_unreachable_temporal_names_the_address_and_the_fix() -> None:
    with pytest.raises(EngineUnavailableError) as err:
        await connect(Settings(temporal_address="127.0.0.1:1"), timeout=5)
    text = str(err.value)
    assert "127.0.0.1:1" in text
    assert "casework up" in text
    assert "\n" not in text
