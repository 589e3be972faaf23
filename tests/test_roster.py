"""Tests for sim.population.roster: reading, validating and normalising entity rosters."""

from __future__ import annotations

import csv
import io
import logging
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import RosterError
from sim.population.roster import load_roster, validate_roster
from sim.population.schema import COLUMNS, DEFAULT_CASH_SHARE, REQUIRED

# A good roster, as the cells of a CSV file. File order deliberately puts a grandchild first and
# a child before its parent; the Chinese names must survive every path.
GOOD_COLUMNS = [
    "id",
    "parent_id",
    "name",
    "sector",
    "assets",
    "liabilities",
    "revenue",
    "operating_cost",
    "employees",
    "core",
    "status",
    "cash",
    "receivables",
    "intra_group_loan",
]
GOOD_ROWS = [
    ["SUB2", "SUB1", "重庆城投建设第三工程有限公司", "construction",
     "120", "90", "60", "55", "300", "是", "operating", "10", "20", "15"],
    ["HQ1", "", "重庆城投集团", "urban_investment",
     "5000", "3200", "250", "180", "1200", "true", "operating", "400", "300", "0"],
    ["SUB1", "HQ1", "重庆城投建设有限公司", " Construction ",
     "800", "600", "400", "370", "900", "YES", "", "", "100", "50"],
    ["HQ2", "  ", "重庆机电控股集团", "manufacturing",
     "3000", "1800", "1500", "1400", "8000", "1", "operating", "200", "400", "0"],
    ["M1", "HQ2", "重庆机床有限公司", "manufacturing",
     "600", "400", "350", "340", "2500", "false", "SHELL", "30", "60", "100"],
    ["M2", "HQ2", "重庆机电物业服务公司", "services",
     "50", "20", "30", "32", "400", "否", "dormant", "5", "2", "0"],
]  # fmt: skip
EXPECTED_ORDER = ["HQ1", "HQ2", "SUB1", "M1", "M2", "SUB2"]
NUMERIC = [c.name for c in COLUMNS if c.kind in ("money", "count", "area")]
CORE_WORDS = {"是": True, "否": False, "true": True, "false": False, "yes": True, "1": True}


def good_table() -> tuple[list[str], list[list[str]]]:
    return list(GOOD_COLUMNS), [list(r) for r in GOOD_ROWS]


def write_csv(path: Path, columns: list[str], rows: list[list[str]], bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def typed_frame(columns: list[str], rows: list[list[str]]) -> pd.DataFrame:
    """The same roster with typed columns, as a Parquet file would hold it."""
    df = pd.DataFrame(rows, columns=columns)
    for c in columns:
        if c in NUMERIC:
            df[c] = pd.to_numeric(df[c].replace("", np.nan)).astype(np.float64)
    df["employees"] = df["employees"].astype(np.int64)
    df["core"] = df["core"].str.strip().str.lower().map(CORE_WORDS).astype(bool)
    return df


def load_table(tmp_path: Path, columns: list[str], rows: list[list[str]]) -> pd.DataFrame:
    return load_roster(write_csv(tmp_path / "roster.csv", columns, rows))


def set_cell(rows: list[list[str]], columns: list[str], row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` is the 1-based data row number, as error messages use."""
    rows[row - 1][columns.index(column)] = value


@pytest.fixture
def good_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "good.csv", *good_table())


# ------------------------------------------------------------------------------------------------
# Good input


def test_good_csv_loads_normalised(good_csv: Path) -> None:
    df = load_roster(good_csv)

    assert list(df.columns) == [c.name for c in COLUMNS]
    assert list(df.index) == list(range(6))
    assert df["id"].tolist() == EXPECTED_ORDER
    for c in ("id", "parent_id", "name", "sector", "status"):
        assert df[c].dtype == object, c
        assert all(type(v) is str for v in df[c]), c
    for c in NUMERIC:
        expected = np.int64 if c in ("employees", "loss_years") else np.float64
        assert df[c].dtype == expected, c
    assert df["core"].dtype == bool

    by_id = df.set_index("id")
    assert by_id.loc["HQ1", "name"] == "重庆城投集团"
    assert by_id.loc["M2", "name"] == "重庆机电物业服务公司"
    assert by_id.loc["HQ1", "parent_id"] == ""
    assert by_id.loc["HQ2", "parent_id"] == ""  # whitespace-only parent means "no parent"
    assert by_id.loc["SUB1", "sector"] == "construction"
    assert by_id["core"].to_dict() == {
        "HQ1": True, "HQ2": True, "SUB1": True, "M1": False, "M2": False, "SUB2": True,
    }  # fmt: skip
    assert by_id.loc["M1", "status"] == "shell"
    assert by_id.loc["SUB1", "status"] == "operating"  # empty cell -> schema default
    assert by_id.loc["SUB1", "cash"] == pytest.approx(DEFAULT_CASH_SHARE * 800)
    assert by_id.loc["M1", "cash"] == 30.0
    assert by_id.loc["HQ2", "employees"] == 8000
    for c in ("idle_assets", "land_mu", "gov_function_cost"):  # absent optional columns
        assert (df[c] == 0.0).all(), c


def test_parents_precede_children(good_csv: Path) -> None:
    df = load_roster(good_csv)
    position = {eid: i for i, eid in enumerate(df["id"])}
    for eid, parent in zip(df["id"], df["parent_id"], strict=True):
        if parent:
            assert position[parent] < position[eid]


def test_bom_csv_equals_plain_csv(tmp_path: Path) -> None:
    plain = load_roster(write_csv(tmp_path / "plain.csv", *good_table()))
    with_bom = load_roster(write_csv(tmp_path / "bom.csv", *good_table(), bom=True))
    assert (tmp_path / "bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    pd.testing.assert_frame_equal(with_bom, plain)


@pytest.mark.parametrize("suffix", [".parquet", ".pq"])
def test_parquet_equals_csv(tmp_path: Path, good_csv: Path, suffix: str) -> None:
    path = tmp_path / f"good{suffix}"
    typed_frame(*good_table()).to_parquet(path, index=False)
    pd.testing.assert_frame_equal(load_roster(path), load_roster(good_csv))


def test_parquet_integer_ids_become_strings(tmp_path: Path) -> None:
    columns, rows = good_table()
    df = typed_frame(columns, rows)
    mapping = {"SUB2": 6, "HQ1": 1, "SUB1": 3, "HQ2": 2, "M1": 4, "M2": 5}
    df["id"] = df["id"].map(mapping).astype(np.int64)
    df["parent_id"] = df["parent_id"].str.strip().map(mapping).astype("Int64")  # <NA> for HQs
    path = tmp_path / "int_ids.parquet"
    df.to_parquet(path, index=False)

    out = load_roster(path)
    assert out["id"].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert out["parent_id"].tolist() == ["", "", "1", "2", "2", "3"]
    assert all(type(v) is str for v in out["parent_id"])


def test_float_parent_ids_read_as_integers() -> None:
    df = typed_frame(*good_table())
    df["id"] = [6, 1, 3, 2, 4, 5]
    df["parent_id"] = [3.0, np.nan, 1.0, np.nan, 2.0, 2.0]
    out = validate_roster(df)
    assert out["parent_id"].tolist() == ["", "", "1", "2", "2", "3"]


def test_parquet_numeric_strings_are_fine(tmp_path: Path) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 1, "assets", "120.5")
    df = pd.DataFrame(rows, columns=columns)  # every column a string column
    path = tmp_path / "strings.parquet"
    df.to_parquet(path, index=False)
    out = load_roster(path).set_index("id")
    assert out.loc["SUB2", "assets"] == 120.5
    assert out["assets"].dtype == np.float64


def test_validate_returns_new_frame_and_leaves_input_alone() -> None:
    df = pd.DataFrame(GOOD_ROWS, columns=GOOD_COLUMNS)
    before = df.copy()
    out = validate_roster(df)
    assert out is not df
    pd.testing.assert_frame_equal(df, before)


def test_unknown_columns_dropped_with_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    columns, rows = good_table()
    columns.append("备注")
    for r in rows:
        r.append("note")
    with caplog.at_level(logging.WARNING, logger="sim.population.roster"):
        df = load_table(tmp_path, columns, rows)
    assert "备注" not in df.columns
    assert list(df.columns) == [c.name for c in COLUMNS]
    assert "备注" in caplog.text


@pytest.mark.parametrize(
    ("word", "expected"),
    [("TRUE", True), ("t", True), ("Y", True), ("是", True),
     ("No", False), ("f", False), ("0", False), ("否", False), ("", True)],
)  # fmt: skip
def test_core_words(tmp_path: Path, word: str, expected: bool) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 2, "core", word)
    df = load_table(tmp_path, columns, rows)
    assert df.set_index("id").loc["HQ1", "core"] is np.bool_(expected)


def test_whitespace_around_ids_is_stripped(tmp_path: Path) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 3, "id", "  SUB1\t")
    set_cell(rows, columns, 1, "parent_id", " SUB1 ")
    df = load_table(tmp_path, columns, rows)
    assert "SUB1" in set(df["id"])
    assert df.set_index("id").loc["SUB2", "parent_id"] == "SUB1"


def test_sum_within_tolerance_is_accepted(tmp_path: Path) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 5, "cash", "540.0000000001")  # 540 + 60 = 600 (+1e-10)
    assert load_table(tmp_path, columns, rows)["cash"].max() > 0


def test_default_cash_never_breaks_the_sum(tmp_path: Path) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 3, "receivables", "780")  # assets 800, cash empty
    df = load_table(tmp_path, columns, rows).set_index("id")
    assert df.loc["SUB1", "cash"] == pytest.approx(20.0)


def test_large_shuffled_tree_is_ordered() -> None:
    """A deep, shuffled tree (not timed): depth ordering is right and file order kept."""
    rng = np.random.default_rng(7)
    n = 20_000
    ids = np.array([f"E{i}" for i in range(n)], dtype=object)
    parent_pos = np.where(np.arange(n) % 2000 == 0, -1, np.arange(n) - 1)  # chains of 2000
    parents = np.where(parent_pos < 0, "", ids[np.maximum(parent_pos, 0)])
    perm = rng.permutation(n)
    df = pd.DataFrame(
        {"id": ids[perm], "parent_id": parents[perm], "name": "x", "sector": "energy",
         "assets": 10.0, "liabilities": 1.0, "revenue": 1.0, "operating_cost": 1.0,
         "employees": 3}
    )  # fmt: skip
    out = validate_roster(df)
    depth = np.arange(n) % 2000 + 1
    expected = ids[perm][np.argsort(depth[perm], kind="stable")]
    assert out["id"].tolist() == expected.tolist()


# ------------------------------------------------------------------------------------------------
# Bad files


@pytest.mark.parametrize(
    ("filename", "content", "pattern"),
    [
        ("empty.csv", b"", r"empty\.csv: roster has no rows"),
        ("bom_only.csv", b"\xef\xbb\xbf", r"bom_only\.csv: roster has no rows"),
        ("header_only.csv", ",".join(GOOD_COLUMNS).encode() + b"\n",
         r"header_only\.csv: roster has no rows"),
        ("empty.parquet", b"", r"empty\.parquet: roster has no rows"),
        ("roster.xlsx", b"PK\x03\x04",
         r"roster\.xlsx is not a CSV or Parquet file \(expected \.csv, \.parquet or \.pq\)"),
        ("roster.txt", b"id\n1\n", r"roster\.txt is not a CSV or Parquet file"),
        ("garbage.parquet", b"\x00\x01garbage\xff" * 50,
         r"garbage\.parquet could not be parsed as Parquet"),
        ("garbage.pq", b"id,parent_id\nA,\n", r"garbage\.pq could not be parsed as Parquet"),
        ("binary.csv", bytes(range(256)) * 4, r"binary\.csv could not be parsed as CSV"),
        ("latin1.csv", "id,name\nA,Café\n".encode("latin-1"),
         r"latin1\.csv could not be parsed as CSV"),
        ("ragged.csv", b"id,parent_id\nA,,extra\n", r"ragged\.csv could not be parsed as CSV"),
    ],
)  # fmt: skip
def test_bad_files(tmp_path: Path, filename: str, content: bytes, pattern: str) -> None:
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(RosterError, match=pattern):
        load_roster(path)


def test_empty_parquet_table(tmp_path: Path) -> None:
    path = tmp_path / "no_rows.parquet"
    typed_frame(*good_table()).iloc[:0].to_parquet(path, index=False)
    with pytest.raises(RosterError, match=r"no_rows\.parquet: roster has no rows"):
        load_roster(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match=r"nowhere\.csv not found"):
        load_roster(tmp_path / "nowhere.csv")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(RosterError, match=r"dir\.csv is not a file"):
        load_roster(tmp_path / "dir.csv")


def test_empty_dataframe() -> None:
    with pytest.raises(RosterError, match=r"my-source: roster has no rows"):
        validate_roster(pd.DataFrame(columns=GOOD_COLUMNS), source="my-source")


# ------------------------------------------------------------------------------------------------
# Bad columns


def test_missing_required_columns(tmp_path: Path) -> None:
    columns, rows = good_table()
    drop = [columns.index("sector"), columns.index("employees")]
    columns = [c for i, c in enumerate(columns) if i not in drop]
    rows = [[v for i, v in enumerate(r) if i not in drop] for r in rows]
    pattern = (
        r"roster\.csv: missing required column\(s\) 'sector', 'employees'; "
        r"required columns are: " + re.escape(", ".join(REQUIRED))
    )
    with pytest.raises(RosterError, match=pattern):
        load_table(tmp_path, columns, rows)


def test_duplicate_column_names(tmp_path: Path) -> None:
    columns, rows = good_table()
    columns[columns.index("cash")] = "Assets"
    with pytest.raises(RosterError, match=r"duplicate column\(s\) 'assets'"):
        load_table(tmp_path, columns, rows)


# ------------------------------------------------------------------------------------------------
# Bad cells: one case per check. Each edit is (1-based row, column, new value).

CELL_CASES = [
    pytest.param([(5, "id", "SUB1")], r"duplicate ids: 'SUB1' \(rows 3, 5\)", id="duplicate-id"),
    pytest.param([(6, "id", "   ")], r"empty id in row 6", id="empty-id"),
    pytest.param([(5, "parent_id", "NOPE")],
                 r"parent_id not found among ids in row 5 \(id 'M1'; parent_id 'NOPE'\)",
                 id="missing-parent"),
    pytest.param([(5, "parent_id", "M1")], r"entity is its own parent in row 5 \(id 'M1'\)",
                 id="self-parent"),
    pytest.param([(3, "assets", "abc")],
                 r"non-numeric values in column 'assets' in row 3 \(id 'SUB1'; value 'abc'\)",
                 id="non-numeric-assets"),
    pytest.param([(4, "employees", "1,200")],
                 r"non-numeric values in column 'employees' in row 4 \(id 'HQ2'; value '1,200'\)",
                 id="non-numeric-employees"),
    pytest.param([(2, "liabilities", "")],
                 r"empty or NaN value in required column 'liabilities' in row 2 \(id 'HQ1'\)",
                 id="empty-liabilities"),
    pytest.param([(2, "liabilities", "NaN")],
                 r"empty or NaN value in required column 'liabilities' in row 2 \(id 'HQ1'\)",
                 id="nan-liabilities"),
    pytest.param([(4, "revenue", "-5")],
                 r"negative value in column 'revenue' in row 4 \(id 'HQ2'; value -5\)",
                 id="negative-revenue"),
    pytest.param([(6, "receivables", "-0.5")],
                 r"negative value in column 'receivables' in row 6 \(id 'M2'; value -0.5\)",
                 id="negative-optional"),
    pytest.param([(1, "employees", "12.5")],
                 r"employees is not a whole number in row 1 \(id 'SUB2'; value 12.5\)",
                 id="fractional-employees"),
    pytest.param([(6, "operating_cost", "inf")],
                 r"infinite value in column 'operating_cost' in row 6 \(id 'M2'; value inf\)",
                 id="infinite-cost"),
    pytest.param([(6, "cash", "-Infinity")],
                 r"infinite value in column 'cash' in row 6 \(id 'M2'; value -inf\)",
                 id="infinite-cash"),
    pytest.param([(4, "sector", "mining")],
                 r"unknown sector 'mining' in row 4 \(id 'HQ2'\); valid sectors are: "
                 r"urban_investment, transport, .*services",
                 id="unknown-sector"),
    pytest.param([(5, "status", "bankrupt")],
                 r"unknown status 'bankrupt' in row 5 \(id 'M1'\); "
                 r"valid statuses are: operating, shell, dormant",
                 id="unknown-status"),
    pytest.param([(3, "core", "maybe")],
                 r"core value not understood in row 3 \(id 'SUB1'; value 'maybe'\)",
                 id="bad-core"),
    pytest.param([(3, "cash", "30"), (3, "receivables", "0"), (3, "idle_assets", "780")],
                 r"cash \+ receivables \+ idle_assets exceeds assets in row 3 \(id 'SUB1'; "
                 r"sum 30 \+ 0 \+ 780 = 810 > 800\)",
                 id="parts-exceed-assets"),
    pytest.param([(2, "intra_group_loan", "5")],
                 r"intra_group_loan > 0 on a group headquarters \(no parent_id\) "
                 r"in row 2 \(id 'HQ1'; value 5\)",
                 id="hq-intra-group-loan"),
]  # fmt: skip


@pytest.mark.parametrize(("edits", "pattern"), CELL_CASES)
def test_bad_cells(tmp_path: Path, edits: list[tuple[int, str, str]], pattern: str) -> None:
    columns, rows = good_table()
    for row, column, value in edits:
        if column not in columns:
            columns.append(column)
            for r in rows:
                r.append("")
        set_cell(rows, columns, row, column, value)
    with pytest.raises(RosterError, match=r"roster\.csv: " + pattern):
        load_table(tmp_path, columns, rows)


def with_extra_rows(extra: list[tuple[str, str]]) -> tuple[list[str], list[list[str]]]:
    """The good roster plus rows (id, parent_id) appended after row 6."""
    columns, rows = good_table()
    template = rows[-1]
    for eid, parent in extra:
        row = list(template)
        row[columns.index("id")] = eid
        row[columns.index("parent_id")] = parent
        rows.append(row)
    return columns, rows


def test_two_cycle_detached_from_roots(tmp_path: Path) -> None:
    columns, rows = with_extra_rows([("X1", "X2"), ("X2", "X1")])
    pattern = (
        r"parent_id cycle 'X1' \(row 7\) -> 'X2' \(row 8\) -> 'X1'; 2 entities never reach a "
        r"group headquarters .*rows 7, 8 \(ids 'X1', 'X2'\)"
    )
    with pytest.raises(RosterError, match=pattern):
        load_table(tmp_path, columns, rows)


def test_three_cycle_with_a_child_below(tmp_path: Path) -> None:
    # Z hangs below the cycle Y1 -> Y2 -> Y3 -> Y1; it is listed but is not on the cycle.
    columns, rows = with_extra_rows([("Z", "Y3"), ("Y1", "Y2"), ("Y2", "Y3"), ("Y3", "Y1")])
    pattern = (
        r"parent_id cycle 'Y1' \(row 8\) -> 'Y2' \(row 9\) -> 'Y3' \(row 10\) -> 'Y1'; "
        r"4 entities never reach a group headquarters .*rows 7, 8, 9, 10 "
        r"\(ids 'Z', 'Y1', 'Y2', 'Y3'\)"
    )
    with pytest.raises(RosterError, match=pattern):
        load_table(tmp_path, columns, rows)


def test_whole_roster_is_a_cycle() -> None:
    df = typed_frame(*good_table())
    df["parent_id"] = ["HQ1", "M2", "SUB2", "HQ1", "HQ2", "M1"]  # no headquarters at all
    with pytest.raises(RosterError, match=r"parent_id cycle .*6 entities never reach"):
        validate_roster(df)


def test_error_lists_at_most_five_rows(tmp_path: Path) -> None:
    columns, rows = with_extra_rows([(f"K{i}", "HQ1") for i in range(12)])
    for row in range(7, 19):
        set_cell(rows, columns, row, "assets", f"bad{row}")
    with pytest.raises(RosterError) as info:
        load_table(tmp_path, columns, rows)
    message = str(info.value)
    assert re.search(
        r"non-numeric values in column 'assets' in rows 7, 8, 9, 10, 11 "
        r"\(ids 'K0', 'K1', 'K2', 'K3', 'K4'; values 'bad7', 'bad8', 'bad9', 'bad10', 'bad11'\)"
        r" and 7 more",
        message,
    ), message
    assert "12" not in message.split("and 7 more")[0].split("rows")[1].split("(")[0]
    assert "K5" not in message


def test_duplicate_ids_list_at_most_five() -> None:
    df = typed_frame(*good_table())
    df = pd.concat([df] * 3, ignore_index=True)
    with pytest.raises(
        RosterError, match=r"duplicate ids: 'SUB2' \(rows 1, 7, 13\), .* and 1 more$"
    ):
        validate_roster(df)


# ------------------------------------------------------------------------------------------------
# Typed DataFrames (as Parquet delivers them)


def test_parquet_string_assets_that_are_not_numbers(tmp_path: Path) -> None:
    df = typed_frame(*good_table())
    df["assets"] = ["120", "5000", "abc", "3000", "600", "50"]
    path = tmp_path / "bad_assets.parquet"
    df.to_parquet(path, index=False)
    with pytest.raises(
        RosterError,
        match=r"bad_assets\.parquet: non-numeric values in column 'assets' in row 3 "
        r"\(id 'SUB1'; value 'abc'\)",
    ):
        load_roster(path)


def test_typed_frame_nan_in_required_column() -> None:
    df = typed_frame(*good_table())
    df.loc[3, "revenue"] = np.nan
    with pytest.raises(RosterError, match=r"required column 'revenue' in row 4 \(id 'HQ2'\)"):
        validate_roster(df)


def test_typed_frame_infinite_value() -> None:
    df = typed_frame(*good_table())
    df.loc[0, "assets"] = np.inf
    with pytest.raises(
        RosterError, match=r"infinite value in column 'assets' in row 1 \(id 'SUB2'"
    ):
        validate_roster(df)


def test_typed_core_numbers() -> None:
    df = typed_frame(*good_table())
    df["core"] = [1, 1, 0, 1, 2, 0]
    with pytest.raises(RosterError, match=r"core value not understood in row 5 \(id 'M1'"):
        validate_roster(df)


def test_typed_bool_columns_are_not_numbers() -> None:
    df = typed_frame(*good_table())
    df["land_mu"] = [True, False, True, False, True, False]
    with pytest.raises(RosterError, match=r"non-numeric values in column 'land_mu' in rows 1, 2"):
        validate_roster(df)


# ------------------------------------------------------------------------------------------------
# Hardening: bounds that keep sums finite, names, id lengths, encodings, delimiters, zero assets


def test_schema_states_numeric_bounds() -> None:
    bounds = {c.name: (c.low, c.high) for c in COLUMNS if c.name in NUMERIC}
    assert bounds["employees"] == (0.0, 1e7)
    assert bounds["land_mu"] == (0.0, 1e8)
    for c in COLUMNS:
        if c.kind == "money":
            assert bounds[c.name] == (0.0, 1e9), c.name
    # A sum over 5e7 rows stays finite, and headcounts stay exact in float64 and within int64.
    for low, high in bounds.values():
        assert low is not None and high is not None
        assert np.isfinite(np.float64(high) * 5e7)
    assert 1e7 * 5e7 < 2.0**53 < np.iinfo(np.int64).max


@pytest.mark.parametrize(
    ("column", "at_bound", "above", "shown", "bound"),
    [
        ("employees", "10000000", "1e20", "1e+20", "1e+07 persons"),
        ("employees", "10000000", "10000001", "10000001", "1e+07 persons"),
        ("assets", "1e9", "1e308", "1e+308", "1e+09 mn yuan"),
        ("revenue", "1000000000", "1000000000.5", "1000000000", "1e+09 mn yuan/yr"),
        ("land_mu", "1e8", "2e8", "200000000", "1e+08 mu"),
        ("gov_function_cost", "1e9", "5e12", "5e+12", "1e+09 mn yuan/yr"),
    ],
)  # fmt: skip
def test_values_above_schema_bound_are_refused(
    tmp_path: Path, column: str, at_bound: str, above: str, shown: str, bound: str
) -> None:
    columns, rows = good_table()
    if column not in columns:
        columns.append(column)
        for r in rows:
            r.append("")
    set_cell(rows, columns, 2, column, at_bound)  # row 2 is HQ1; a bound itself is allowed
    if column == "assets":
        set_cell(rows, columns, 2, "liabilities", at_bound)
    assert load_table(tmp_path, columns, rows).set_index("id").loc["HQ1", column] == float(at_bound)

    set_cell(rows, columns, 4, column, above)
    with pytest.raises(RosterError) as info:
        load_table(tmp_path, columns, rows)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'roster.csv'}: value too large in column {column!r}")
    assert f"in row 4 (id 'HQ2'; value {shown})" in message
    assert f"at most {bound} per entity" in message
    assert "\n" not in message


def test_employees_1e20_refused_without_overflow_warning(tmp_path: Path) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 1, "employees", "1e20")
    pattern = (
        r"value too large in column 'employees' in row 1 \(id 'SUB2'; value 1e\+20\); "
        r"the schema allows at most 1e\+07 persons per entity"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning on the way
        with pytest.raises(RosterError, match=pattern):
            load_table(tmp_path, columns, rows)


def test_two_rows_of_2_pow_62_employees_refused() -> None:
    df = typed_frame(*good_table())
    df["employees"] = np.array([2**62, 2**62, 900, 8000, 2500, 400], dtype=np.int64)
    with pytest.raises(
        RosterError,
        match=r"<roster>: value too large in column 'employees' in rows 1, 2 "
        r"\(ids 'SUB2', 'HQ1'; values 4\.611686018e\+18, 4\.611686018e\+18\); "
        r"the schema allows at most 1e\+07 persons per entity",
    ):
        validate_roster(df)


def test_two_rows_of_assets_1e308_refused(tmp_path: Path) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 3, "assets", "1e308")
    set_cell(rows, columns, 5, "assets", "1e308")
    with pytest.raises(
        RosterError,
        match=r"value too large in column 'assets' in rows 3, 5 \(ids 'SUB1', 'M1'; "
        r"values 1e\+308, 1e\+308\); the schema allows at most 1e\+09 mn yuan per entity",
    ):
        load_table(tmp_path, columns, rows)


def test_huge_python_integers_in_object_column_refused() -> None:
    df = typed_frame(*good_table())
    df["employees"] = pd.Series([10**20, 1200, 900, 8000, 2500, 400], dtype=object)
    with pytest.raises(RosterError, match=r"value too large in column 'employees' in row 1 "):
        validate_roster(df)


@pytest.mark.parametrize("blank", ["", "   ", "\t", "\u3000"])
def test_empty_name_refused(tmp_path: Path, blank: str) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 2, "name", blank)
    set_cell(rows, columns, 5, "name", "")
    with pytest.raises(
        RosterError, match=r"roster\.csv: empty name in rows 2, 5 \(ids 'HQ1', 'M1'\)"
    ):
        load_table(tmp_path, columns, rows)


def test_missing_name_in_parquet_refused(tmp_path: Path) -> None:
    df = typed_frame(*good_table())
    df["name"] = pd.Series(["a", "b", None, "d", "e", "f"], dtype=object)
    path = tmp_path / "no_name.parquet"
    df.to_parquet(path, index=False)
    with pytest.raises(RosterError, match=r"no_name\.parquet: empty name in row 3 \(id 'SUB1'\)"):
        load_roster(path)


def test_id_longer_than_64_characters_refused(tmp_path: Path) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 6, "id", "M" * 64)  # 64 is allowed
    assert ("M" * 64) in set(load_table(tmp_path, columns, rows)["id"])
    set_cell(rows, columns, 6, "id", "公司" * 40)  # 80 characters
    with pytest.raises(RosterError) as info:
        load_table(tmp_path, columns, rows)
    message = str(info.value)
    assert re.search(
        r"roster\.csv: id longer than 64 characters in row 6 \(id '公司公司.*'\.\.\. "
        r"\(80 characters\)\)$",
        message,
    ), message
    assert "公司" * 40 not in message  # the message does not repeat the whole id


@pytest.mark.parametrize("digits", [13, 20, 400])
def test_n_number_with_more_than_12_digits_refused(tmp_path: Path, digits: int) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 5, "id", "N" + "9" * 12)  # 12 digits are allowed
    set_cell(rows, columns, 6, "id", "N000000000001")  # 12 digits with leading zeros
    df = load_table(tmp_path, columns, rows)
    assert {"N999999999999", "N000000000001"} <= set(df["id"])

    long_id = "N" + "1" * digits
    set_cell(rows, columns, 6, "id", long_id)
    with pytest.raises(RosterError) as info:
        load_table(tmp_path, columns, rows)
    message = str(info.value)
    if digits + 1 > 64:
        assert "id longer than 64 characters in row 6" in message
    else:
        assert f"N-number id with more than 12 digits in row 6 (id {long_id!r})" in message
        assert "reserved for entities founded in the run" in message


def test_long_n_number_refused_but_look_alikes_are_fine(tmp_path: Path) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 5, "id", "N12345678901234X")  # not N<digits>
    set_cell(rows, columns, 6, "id", "XN12345678901234")
    assert len(load_table(tmp_path, columns, rows)) == 6
    set_cell(rows, columns, 4, "id", "N1234567890123")
    for r in rows[4:]:
        r[columns.index("parent_id")] = "N1234567890123"
    with pytest.raises(RosterError, match=r"N-number id with more than 12 digits in row 4 "):
        load_table(tmp_path, columns, rows)


def csv_bytes(columns: list[str], rows: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def test_gbk_file_names_row_and_advises_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(csv_bytes(*good_table(), encoding="gbk"))
    assert "重庆".encode("gbk") in path.read_bytes()
    with pytest.raises(RosterError) as info:
        load_roster(path)
    message = str(info.value)
    assert message == (
        f"roster file {path} could not be parsed as CSV: it is not UTF-8 (the first undecodable "
        "byte, 0xd6, is in data row 1, column 'name', line 2); save the file as UTF-8 "
        "(in Excel: Save As → CSV UTF-8)"
    )
    assert "position" not in message


def test_latin1_file_names_row_and_advises_utf8(tmp_path: Path) -> None:
    columns, rows = good_table()
    for r in rows:  # the good roster's Chinese names and core words have no Latin-1 form
        r[columns.index("name")] = "Acme"
        r[columns.index("core")] = "true"
    set_cell(rows, columns, 4, "name", "Société Générale")
    path = tmp_path / "latin1.csv"
    path.write_bytes(csv_bytes(columns, rows, encoding="latin-1"))
    with pytest.raises(RosterError) as info:
        load_roster(path)
    message = str(info.value)
    assert "(the first undecodable byte, 0xe9, is in data row 4, column 'name', line 5)" in message
    assert message.endswith("save the file as UTF-8 (in Excel: Save As → CSV UTF-8)")


def test_undecodable_byte_after_a_multiline_cell_and_bom(tmp_path: Path) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 1, "name", "第一行\n第二行")  # one cell over two lines
    path = tmp_path / "multiline.csv"
    data = b"\xef\xbb\xbf" + csv_bytes(columns, rows, encoding="utf-8")
    data = data.replace("重庆机床有限公司".encode(), "重庆机床有限公司".encode("gbk"))  # row 5
    path.write_bytes(data)
    with pytest.raises(RosterError, match=r"is in data row 5, column 'name', line 7\); save"):
        load_roster(path)


def test_undecodable_header(tmp_path: Path) -> None:
    columns, rows = good_table()
    columns.append("备注")
    for r in rows:
        r.append("x")
    path = tmp_path / "header.csv"
    path.write_bytes(
        csv_bytes(columns, rows, encoding="utf-8").replace("备注".encode(), "备注".encode("gbk"))
    )
    with pytest.raises(RosterError, match=r"is in the header, line 1\); save the file as UTF-8"):
        load_roster(path)


@pytest.mark.parametrize(("delimiter", "named"), [(";", "';'"), ("\t", "a tab"), ("|", "'|'")])
def test_other_delimiter_is_named(tmp_path: Path, delimiter: str, named: str) -> None:
    columns, rows = good_table()
    set_cell(rows, columns, 2, "name", "重庆城投集团, 总部")  # a comma in a cell
    path = tmp_path / "semi.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows(rows)
    with pytest.raises(RosterError) as info:
        load_roster(path)
    message = str(info.value)
    assert f"the file seems to use {named} as delimiter" in message
    assert "soe-sim reads comma-separated files" in message
    assert "missing required column" not in message

    # a delimiter inside an extra column's name is not taken for one
    columns, rows = good_table()
    columns.append(f"note{delimiter}remark")
    for r in rows:
        r.append("x")
    assert len(load_table(tmp_path, columns, rows)) == 6


def test_dataframe_with_joined_column_names_gets_a_hint() -> None:
    df = pd.DataFrame({";".join(GOOD_COLUMNS): [";".join(r) for r in GOOD_ROWS]})
    with pytest.raises(
        RosterError,
        match=r"missing required column\(s\) .*; the column names seem to be joined by ';'",
    ):
        validate_roster(df)


def test_roster_with_zero_total_assets_refused(tmp_path: Path) -> None:
    columns, rows = good_table()
    for r in rows:
        for c in NUMERIC:
            if c in columns:
                r[columns.index(c)] = "0"
    with pytest.raises(
        RosterError,
        match=r"^.*roster\.csv: the roster's total assets are 0 \(every entity has assets 0\)",
    ):
        load_table(tmp_path, columns, rows)


def test_zero_asset_shells_are_fine_but_not_a_roster_without_assets(tmp_path: Path) -> None:
    columns, rows = good_table()
    for c in NUMERIC:
        if c in columns:
            set_cell(rows, columns, 5, c, "0")  # M1 is a shell with nothing
    df = load_table(tmp_path, columns, rows).set_index("id")
    assert df.loc["M1", "assets"] == 0.0
    typed = typed_frame(*good_table())
    typed["assets"] = 0.0
    typed[["cash", "receivables"]] = 0.0
    with pytest.raises(RosterError, match=r"<roster>: the roster's total assets are 0"):
        validate_roster(typed)
