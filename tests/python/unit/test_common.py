"""Unit tests of retail_warehouse.ml.common: table typing, per-store settings, seeded samples."""

from __future__ import annotations

import datetime
import json
import threading

import duckdb
import numpy as np
import pandas as pd
import pytest

from retail_warehouse.ml.common import (
    RESOURCES_LOG_ENV,
    hash_sample_positions,
    measured,
    measured_model,
    paired_difference_interval,
    per_store,
    schema,
    typed_table,
)

COLUMNS = schema("store:str day:date count:int32 rows:int share:float flag:bool")


def duckdb_types(frame: pd.DataFrame) -> dict[str, str]:
    """The column types DuckDB gives the frame, as dbt-duckdb writes a Python model's table."""
    return {name: kind for name, kind, *_ in duckdb.sql("describe select * from frame").fetchall()}


def test_typed_tables_have_the_same_column_types_with_and_without_rows():
    expected = {
        "store": "VARCHAR",
        "day": "DATE",
        "count": "INTEGER",
        "rows": "BIGINT",
        "share": "DOUBLE",
        "flag": "BOOLEAN",
    }
    empty = typed_table([], COLUMNS)
    assert list(empty.columns) == list(COLUMNS) and empty.empty
    assert duckdb_types(empty) == expected
    rows = pd.DataFrame(
        {
            "flag": [True, None],
            "store": ["a", None],
            "day": [pd.Timestamp("2020-01-02"), None],
            "count": [1, None],
            "rows": [2, 3],
            "share": [0.5, np.nan],
            "ignored": ["x", "y"],
        }
    )
    typed = typed_table([rows.iloc[:0], rows], COLUMNS)
    assert list(typed.columns) == list(COLUMNS)
    assert duckdb_types(typed) == expected
    assert duckdb.sql("select * from typed").fetchall() == [
        ("a", datetime.date(2020, 1, 2), 1, 2, 0.5, True),
        (None, None, None, 3, None, None),
    ]
    with pytest.raises(KeyError):
        typed_table([rows.drop(columns="share")], COLUMNS)


def test_per_store_settings_read_mappings_json_or_one_value():
    assert per_store(4, "olist", "x") == 4
    assert per_store('{"olist": 12, "online_retail": 4}', "olist", "x") == 12
    assert per_store({"olist": "repeat_purchase"}, "olist", "x") == "repeat_purchase"
    assert per_store("churn", "olist", "x") == "churn"
    with pytest.raises(KeyError, match="churn_horizon_days"):
        per_store({"olist": 12}, "online_retail", "churn_horizon_days")


def test_seeded_hash_samples_are_sorted_reproducible_and_all_rows_when_few():
    keys = np.array([f"c:{i:05d}" for i in range(1000)], dtype=object)
    assert hash_sample_positions(keys[:5], 10, seed=1).tolist() == [0, 1, 2, 3, 4]
    sample = hash_sample_positions(keys, 100, seed=1)
    assert len(set(sample)) == 100 and np.all(np.diff(sample) > 0)
    assert np.array_equal(sample, hash_sample_positions(keys, 100, seed=1))
    assert not np.array_equal(sample, hash_sample_positions(keys, 100, seed=2))


@pytest.mark.parametrize("insert_at", [0, 500, 1000])
def test_one_new_customer_keeps_everybody_else_in_or_out_of_a_hash_sample(insert_at):
    # Membership depends on the key, not the position: a customer added anywhere enters the
    # sample or not and pushes out at most the one customer of largest hash (a positional
    # draw of the same size reshuffled most of the sample).
    keys = [f"c:{i:05d}" for i in range(1000)]
    grown = keys[:insert_at] + ["c:new"] + keys[insert_at:]

    def members(sample_keys):
        return {sample_keys[i] for i in hash_sample_positions(np.array(sample_keys, dtype=object), 100, seed=3)}

    before, after = members(keys), members(grown)
    assert len(before - after) <= 1 and after - before <= {"c:new"}
    assert len(before ^ after) in (0, 2)


def test_paired_difference_interval_is_seeded_and_separates_a_real_gain_from_noise():
    rng = np.random.default_rng(11)
    reference = rng.normal(0, 1, 2000)
    better = reference - 0.5 + rng.normal(0, 0.1, 2000)
    same = reference + rng.normal(0, 0.1, 2000)
    gain = paired_difference_interval(np.mean, better, reference, seed=2)
    assert gain == paired_difference_interval(np.mean, better, reference, seed=2)
    assert gain["lower"] < gain["difference"] < gain["upper"] < 0
    noise = paired_difference_interval(np.mean, same, reference, seed=2)
    assert noise["lower"] < 0 < noise["upper"]
    # Paired: the interval is narrow because the rows move together (unpaired it would be ~0.06 wide).
    assert gain["upper"] - gain["lower"] < 0.02
    assert paired_difference_interval(np.mean, reference, reference, seed=2)["lower"] == 0.0
    assert paired_difference_interval(np.mean, [], [], seed=2) == {"difference": None, "lower": None, "upper": None}


def test_measured_model_logs_its_peak_memory_and_the_models_beside_it(tmp_path, monkeypatch, capsys):
    log = tmp_path / "resources.jsonl"
    monkeypatch.setenv(RESOURCES_LOG_ENV, str(log))
    inside = threading.Event()
    done = threading.Event()

    def beside():
        with measured_model("beside"):
            inside.set()
            done.wait(5)

    thread = threading.Thread(target=beside)
    thread.start()
    inside.wait(5)
    with measured_model("big"):
        block = np.ones(300 * 2**20 // 8)  # 300 MB touched
        del block
    done.set()
    thread.join()
    records = {record["model"]: record for record in map(json.loads, log.read_text().splitlines())}
    assert set(records) == {"big", "beside"}
    assert records["big"]["peak_over_start_mb"] >= 250
    assert records["big"]["rss_end_mb"] < records["big"]["rss_peak_mb"] - 200
    assert records["big"]["outcome"] == "ok"
    assert records["big"]["concurrent_models"] == ["beside"]
    assert records["beside"]["concurrent_models"] == ["big"]
    assert "big: resources {" in capsys.readouterr().err


def test_measured_model_records_a_failed_model(tmp_path, monkeypatch):
    log = tmp_path / "resources.jsonl"
    monkeypatch.setenv(RESOURCES_LOG_ENV, str(log))
    with pytest.raises(ValueError), measured_model("broken"):
        raise ValueError("bad input")
    assert json.loads(log.read_text())["outcome"] == "failed"


def test_measured_dbt_model_is_named_after_its_table(tmp_path, monkeypatch):
    log = tmp_path / "resources.jsonl"
    monkeypatch.setenv(RESOURCES_LOG_ENV, str(log))

    class FakeDbt:
        class this:
            identifier = "some_table"

    @measured
    def model(dbt, session):
        return pd.DataFrame({"a": [session]})

    assert model(FakeDbt(), 7)["a"].tolist() == [7]
    assert json.loads(log.read_text())["model"] == "some_table"
