"""The forecast's backtest on the committed sample: forecasts made at past instants, with only what was known
then, against what then happened. Its 80 % interval must cover between 70 % and 90 % of the outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from sla_core.analysis.forecast_backtest import (
    BACKTEST_INSTANTS,
    Calibration,
    backtest,
    known_at,
)
from sla_core.clocks.codes import RESULT_COLUMNS
from sla_core.clocks.engine import evaluate
from sla_core.policy import load_policy
from sla_core.sources import DataSource, sample_source
from tests.conftest import DEFAULT_NOW, SAMPLE_POLICY

AS_OF = datetime.fromisoformat(DEFAULT_NOW)  # fixed here, whatever SLA_BOARD_NOW a CI run sets


@pytest.fixture(scope="module")
def sample() -> DataSource:
    return sample_source(load_policy(SAMPLE_POLICY), AS_OF)


@pytest.fixture(scope="module")
def measured(sample: DataSource) -> tuple[Calibration, pd.DataFrame]:
    return backtest(sample.con, sample.policy, results=sample.results)


def test_clocks_known_at_a_past_instant_are_the_engines_then(sample: DataSource) -> None:
    # What the backtest knows at T: the clocks of tickets all stopped by T kept from today's judgement, the others
    #   judged again at T. Together they must be exactly what judging every ticket at T gives.
    then = AS_OF - timedelta(days=40, hours=5)
    cur = sample.con.cursor()
    known_at(cur, sample.policy, sample.results, then, "known_then")
    evaluate(cur, sample.policy, then, out="judged_then")
    columns = ", ".join(c for c in RESULT_COLUMNS if c != "time_left_seconds")
    differ = cur.execute(f"""SELECT count(*) FROM ((SELECT {columns} FROM known_then EXCEPT ALL
                                                    SELECT {columns} FROM judged_then)
                                                   UNION ALL (SELECT {columns} FROM judged_then EXCEPT ALL
                                                              SELECT {columns} FROM known_then))""").fetchone()
    running = cur.execute("SELECT count(*) FROM known_then WHERE stopped_at IS NULL AND state <> 'untimed'").fetchone()
    cur.execute("DROP TABLE known_then; DROP TABLE judged_then")
    assert differ == (0,) and running[0] > 20


def test_the_80_percent_interval_covers_70_to_90_percent_on_the_sample(
        measured: tuple[Calibration, pd.DataFrame]) -> None:
    calibration, rows = measured
    assert calibration.reason is None and calibration.instants == BACKTEST_INSTANTS
    assert calibration.forecasts == len(rows) == 4 * BACKTEST_INSTANTS  # every tier at every instant
    # Coverage counts the uncertain forecasts: where one count held 90 % or more (a quiet night: nothing due and
    #   nothing expected), the interval is that count whatever the model's quality. They are counted apart.
    assert calibration.uncertain + calibration.sure == calibration.forecasts and calibration.uncertain >= 20
    assert 0.7 <= calibration.coverage <= 0.9, calibration
    assert calibration.mean_mass == pytest.approx(0.8, abs=0.05)  # what the intervals claimed
    assert calibration.sure_missed <= 0.1 * calibration.sure
    # The errors, per tier and shift, are small against the numbers themselves and unbiased over the backtest.
    assert calibration.mae < 0.2
    assert rows["expected"].sum() == pytest.approx(rows["actual"].sum(), rel=0.3)


def test_rows_are_whole_shifts_before_the_data_ends(measured: tuple[Calibration, pd.DataFrame],
                                                    sample: DataSource) -> None:
    calibration, rows = measured
    horizon = timedelta(seconds=sample.policy.forecast.horizon)
    assert calibration.last is not None and calibration.last + horizon <= AS_OF
    assert calibration.first is not None and calibration.first >= AS_OF - timedelta(days=121)
    assert ((rows["low"] <= rows["expected"] + 1) & (rows["expected"] <= rows["high"] + 1)).all()
    assert (rows["actual"] >= rows["arrived"]).all()


def test_a_data_set_too_short_is_not_backtested(sample: DataSource) -> None:
    cur = sample.con.cursor()
    cur.execute(f"""CREATE OR REPLACE TABLE short_results AS SELECT * FROM {sample.results}
                    WHERE created_at > TIMESTAMPTZ '{(AS_OF - timedelta(days=16)).isoformat()}'""")
    calibration, rows = backtest(cur, sample.policy, results="short_results")
    cur.execute("DROP TABLE short_results")
    assert rows.empty and calibration.coverage is None
    assert calibration.reason is not None and calibration.reason.startswith("the data spans too little time")
