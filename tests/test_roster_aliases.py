"""Chinese sector names in rosters: sim.sectors.SECTOR_ALIASES, as the roster loader reads them."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config import PopulationConfig, SimConfig
from sim.errors import RosterError
from sim.model import SOEModel
from sim.population.roster import load_roster, validate_roster
from sim.sectors import SECTOR_ALIASES, SECTOR_CODE, SECTOR_NAMES, SECTORS

COLUMNS = ["id", "parent_id", "name", "sector", "assets", "liabilities", "revenue",
           "operating_cost", "employees", "status"]  # fmt: skip
ROWS = [
    ["HQ1", "", "重庆城投集团", "urban_investment", "5000", "3200", "250", "180", "1200", ""],
    ["SUB1", "HQ1", "重庆城投建设有限公司", "construction", "800", "600", "400", "370", "900", ""],
    ["SUB2", "SUB1", "重庆城投物业服务公司", "services", "50", "20", "30", "32", "400", ""],
    ["HQ2", "", "重庆机电控股集团", "manufacturing", "3000", "1800", "1500", "1400", "8000", ""],
    ["M1", "HQ2", "重庆机电商贸有限公司", "commerce", "600", "400", "350", "340", "2500", "shell"],
    ["M2", "HQ2", "重庆机电小额贷款公司", "finance", "50", "20", "30", "28", "40", ""],
]
# The same sectors as ROWS, by Chinese names: labels, parts of labels, synonyms, with whitespace.
CHINESE = ["城投", " 建筑 ", "服务业", "制造业(33618集群)", "商贸", "金融"]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def with_sectors(sectors: list[str]) -> list[list[str]]:
    rows = [list(r) for r in ROWS]
    for row, sector in zip(rows, sectors, strict=True):
        row[COLUMNS.index("sector")] = sector
    return rows


def model(roster: pd.DataFrame) -> SOEModel:
    config = SimConfig(seed=3, months=1, population=PopulationConfig(source="roster", path="-"))
    return SOEModel(config, roster=roster)


def test_chinese_sector_names_load_to_the_same_state_as_identifiers(tmp_path: Path) -> None:
    english = load_roster(write_csv(tmp_path / "english.csv", ROWS))
    chinese = load_roster(write_csv(tmp_path / "chinese.csv", with_sectors(CHINESE)))

    pd.testing.assert_frame_equal(chinese, english)
    assert chinese["sector"].dtype == object
    assert set(chinese["sector"]) <= set(SECTOR_NAMES)
    a, b = model(english), model(chinese)
    np.testing.assert_array_equal(b.state.sector, a.state.sector)
    pd.testing.assert_frame_equal(b.entity_table(), a.entity_table())


def test_identifiers_and_chinese_names_mix_in_one_column(tmp_path: Path) -> None:
    mixed = [s if i % 2 else ROWS[i][COLUMNS.index("sector")] for i, s in enumerate(CHINESE)]
    out = load_roster(write_csv(tmp_path / "mixed.csv", with_sectors(mixed)))
    pd.testing.assert_frame_equal(out, load_roster(write_csv(tmp_path / "english.csv", ROWS)))


def test_chinese_names_in_a_csv_read_as_text(tmp_path: Path) -> None:
    """A quote character in a name makes the loader read the file as text: same result."""
    rows = with_sectors(CHINESE)
    rows[0][COLUMNS.index("name")] = '重庆"城投"集团'
    expected = pd.DataFrame(ROWS, columns=COLUMNS)
    expected.loc[0, "name"] = '重庆"城投"集团'
    out = load_roster(write_csv(tmp_path / "quoted.csv", rows))
    pd.testing.assert_frame_equal(out, validate_roster(expected))


def test_chinese_names_in_a_dataframe_and_in_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame(with_sectors(CHINESE), columns=COLUMNS)
    expected = validate_roster(pd.DataFrame(ROWS, columns=COLUMNS))
    pd.testing.assert_frame_equal(validate_roster(frame), expected)
    path = tmp_path / "chinese.parquet"
    frame.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(load_roster(path), expected)


@pytest.mark.parametrize("alias", sorted(SECTOR_ALIASES))
def test_every_alias_reads_as_its_sector(alias: str) -> None:
    frame = pd.DataFrame([ROWS[0]], columns=COLUMNS)
    frame["sector"] = alias
    assert validate_roster(frame)["sector"].tolist() == [SECTOR_ALIASES[alias]]


def test_every_label_and_part_of_a_label_is_an_alias() -> None:
    for sector in SECTORS:
        for name in (sector.label_zh, *sector.label_zh.split("/")):
            assert SECTOR_ALIASES[name] == sector.name, name
    assert SECTOR_ALIASES["服务业"] == "services"
    assert SECTOR_ALIASES["制造业"] == "manufacturing"
    assert SECTOR_ALIASES["房地产"] == "real_estate"


def test_alias_table_is_unambiguous() -> None:
    for alias, name in SECTOR_ALIASES.items():
        assert name in SECTOR_CODE, alias
        assert alias == alias.strip().lower(), alias  # the loader strips and lowercases cells
        assert alias not in SECTOR_CODE, alias
    # A dict cannot map one alias to two sectors; no alias may be a label of another sector.
    labels = {part: s.name for s in SECTORS for part in (s.label_zh, *s.label_zh.split("/"))}
    for alias, name in SECTOR_ALIASES.items():
        assert labels.get(alias, name) == name, alias


def test_unknown_chinese_sector_is_refused_naming_file_column_and_row(tmp_path: Path) -> None:
    rows = with_sectors(["城投", "建筑", "服务业", "矿业", "商贸", "金融"])
    path = write_csv(tmp_path / "roster.csv", rows)
    with pytest.raises(RosterError) as info:
        load_roster(path)
    message = str(info.value)
    assert message.startswith(f"{path}: unknown sector '矿业' in row 4 (id 'HQ2'); ")
    assert "valid sectors are: " + ", ".join(SECTOR_NAMES) + ";" in message
    assert "Chinese names are accepted" in message
    assert "城投/基础设施" in message
    assert "SECTOR_ALIASES" in message


def test_unknown_sectors_are_listed_once_each_in_row_order(tmp_path: Path) -> None:
    rows = with_sectors(["矿业", "建筑", "mining", " 矿业 ", "商贸", "其他"])
    expected = "unknown sector '矿业', 'mining', '其他' in rows 1, 3, 4, 6"
    expected += " (ids 'HQ1', 'SUB2', 'HQ2', 'M2')"
    with pytest.raises(RosterError, match=re.escape(expected)):
        load_roster(write_csv(tmp_path / "roster.csv", rows))
