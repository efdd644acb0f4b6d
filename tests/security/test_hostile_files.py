"""Files that are not a table a person would make are refused whole by `import_data`: exit
status 1, one clear message, nothing written, and a peak memory well under 1 GB whatever the
file claims (CONTRACT.md §1)."""

from tests.security import hostile
from tests.security.conftest import ONE_GB

GOOD_ROW = "D1,2026-03-02,A001,C1,10,"
HEADER = ",".join(hostile.DEPOSITS_HEADER)


def assert_refused(bank, run, message: str):
    assert run.status == 1, (run.status, run.err[-2000:])
    assert "Traceback" not in run.err, run.err[-2000:]
    assert message in run.err, run.err[-2000:]
    assert run.peak_bytes < ONE_GB, f"peak {run.peak_bytes / 2**20:.0f} MB"
    print(f"peak {run.peak_bytes / 2**20:.0f} MB")
    assert bank.count("metrics_deposit") == 0


def test_the_bank_would_take_a_good_file_so_a_refusal_below_means_something(bank):
    path = bank.folder / "good.csv"
    path.write_bytes(f"{HEADER}\n{GOOD_ROW}\n".encode())
    run = bank.manage("import_data", "deposits", str(path), "--dry-run")
    # The command speaks Chinese, and keeps CONTRACT.md §1's line whole for the bank's scripts.
    expected = "检查通过（未写入任何数据）：将新建 1 条，更新 0 条，未变 0 条。（created 1, updated 0, unchanged 0）\n"
    assert (run.status, run.out) == (0, expected), run.err


def test_it_refuses_an_xlsx_with_one_cell_at_xfd1048576(bank):
    content = hostile.one_far_cell("XFD1048576")
    assert len(content) < 4096
    assert_refused(bank, bank.import_file("far.xlsx", content), "超过 200 列")


def test_it_refuses_an_xlsx_with_one_cell_at_zz1000000(bank):
    assert_refused(bank, bank.import_file("zz.xlsx", hostile.one_far_cell("ZZ1000000")), "超过 200 列")


def test_it_refuses_an_xlsx_with_a_cell_beyond_two_million_rows_whatever_its_dimension_says(bank):
    assert_refused(bank, bank.import_file("deep.xlsx", hostile.one_far_cell("A2000002")), "超过 2,000,000 行")


def test_it_refuses_a_zip_bomb(bank):
    content = hostile.zip_bomb(unpacked_mb=256)
    assert len(content) < 2**20
    assert_refused(bank, bank.import_file("bomb.xlsx", content), "压缩炸弹")


def test_it_refuses_a_csv_whose_header_has_a_million_columns(bank):
    content = (",".join(f"c{i}" for i in range(1_000_000)) + "\n" + GOOD_ROW + "\n").encode()
    assert_refused(bank, bank.import_file("wide.csv", content), "超过 200 列")


def test_it_refuses_a_csv_of_more_than_two_million_rows(bank):
    content = f"{HEADER}\n{GOOD_ROW}\n".encode() + b"\n" * 2_000_001
    assert_refused(bank, bank.import_file("long.csv", content), "超过 2,000,000 行")
    content = f"{HEADER}\r{GOOD_ROW}\r".encode() + b"\r" * 2_000_001  # old Mac line ends
    assert_refused(bank, bank.import_file("long.csv", content), "超过 2,000,000 行")


def test_it_refuses_a_nul_byte_after_the_first_64_kib(bank):
    rows = "".join(f"D{i},2026-03-02,A001,C{i},10,\n" for i in range(3000))
    content = f"{HEADER}\n{rows}".encode() + b"D9999,2026-03-02,A001,NP\x00Y,10,\n"
    assert content.index(b"\x00") > 65536
    assert_refused(bank, bank.import_file("nul.csv", content), "NUL")


def test_it_refuses_big5_text_that_would_read_as_gb18030_nonsense(bank):
    content = ("ref,date,employee_no,customer_ref,amount,product\nD1,2026-03-02,A001,C1,10,陳大文\n").encode("big5")
    assert_refused(bank, bank.import_file("big5.csv", content), "Big5")


def test_it_refuses_a_file_over_import_max_mb_before_reading_it(bank):
    rows = "".join(f"D{i},2026-03-02,A001,C{i},10,\n" for i in range(80_000))
    content = f"{HEADER}\n{rows}".encode()
    assert len(content) > 2**21
    assert_refused(bank, bank.import_file("big.csv", content, IMPORT_MAX_MB="1"), "超过 1 MB")


def test_an_xlsx_of_300000_empty_rows_is_read_without_them_and_numbers_its_rows_right(bank):
    run = bank.import_file("empty.xlsx", hostile.empty_rows(300_000))
    assert_refused(bank, run, "第 300003 行「amount」：x 不是金额")
    assert run.peak_bytes < 400 * 2**20, f"peak {run.peak_bytes / 2**20:.0f} MB"


def test_fifty_thousand_bad_rows_print_the_first_hundred_and_the_count(bank):
    rows = "".join(f"D{i},2026-03-02,A001,C{i},x,\n" for i in range(50_000))
    run = bank.import_file("bad.csv", f"{HEADER}\n{rows}".encode())
    assert_refused(bank, run, "第 2 行「amount」：x 不是金额")
    lines = run.err.splitlines()
    assert sum(line.startswith("第 ") for line in lines) == 100
    assert "第 101 行「amount」" in run.err and "第 102 行" not in run.err
    assert "共 50000 处" in run.err
    assert len(run.err) < 20_000
    assert bank.count("metrics_importbatch") >= 1


def test_a_csv_of_200_columns_up_to_import_max_mb_is_read_in_bounded_memory(bank):
    header = HEADER + "," * (200 - len(hostile.DEPOSITS_HEADER)) + "\n"
    content = header.encode() + b"," * 199 + b"\nD1,2026-03-02,A001,C1,x,\n" + (b"," * 199 + b"\n") * 940_000
    assert 170 * 2**20 < len(content) < 200 * 2**20
    assert_refused(bank, bank.import_file("padded.csv", content), "第 3 行「amount」：x 不是金额")
