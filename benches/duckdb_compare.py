#!/usr/bin/env python3
"""p1graph's access export side by side with DuckDB writing the same rows.

    python3 benches/duckdb_compare.py --p1graph target/release/p1graph --snapshot t200k.p1g \
        [--export DIR] [--runs 3] [--work DIR] [--no-duckdb]

What is timed (median of --runs runs each):

  p1graph  `access -i SNAP -o a.csv` (load the snapshot, resolve everyone, write the CSV), the
           same with `--columns` of the seven key columns, and `--format parquet`: wall time, CPU
           time (user + system) and peak RSS from `/usr/bin/time -v`.
  DuckDB   the same rows, loaded once (not timed) from p1graph's CSV into an in-memory table
           `tbl`, then (a) `COPY tbl TO 'x.csv'` (the full CSV), (b) the seven key columns with
           `COPY (SELECT ...) TO`, both in insertion order and "tuned" (preserve_insertion_order
           off, so DuckDB may write in parallel and out of order), and (c) `COPY tbl TO
           'x.parquet'` (zstd) for comparison.
  DuckDB   with --export DIR (the export directory the snapshot was made from): the tenant's own
  on the   tables loaded once (not timed; see duckdb_tenant.py), then the seven key columns
  tenant   computed from them by one SQL query (the access model's rules M1-M7) and written with
           `COPY (query) TO`, tuned (any order) and sorted as the access export. The sorted rows
           must equal p1graph's `--columns` output row for row: a second implementation of the
           rules, checked at scale.

It also checks that DuckDB reads p1graph's Parquet file directly and finds the CSV's rows.
Every timed run writes a new file: the previous run's output is removed first (not timed), for
p1graph and DuckDB alike. Why: on ext4 (`auto_da_alloc`), a file renamed over an existing one is
written out inside the rename. DuckDB writes `tmp_x.csv` and renames it over `x.csv`: measured
here, replacing its last 193 MB file cost it 0.25-0.3 s more than writing a new one. p1graph
exchanges the names instead (`report::output::replace`) and pays only the old file's removal.
Two rows time each tool replacing its last file, as a user re-running it does.

It also times only writing p1graph's CSVs' bytes, already in memory, to a new file, plainly and
with the space reserved first (`posix_fallocate`, faster here on ext4 for a bare write; p1graph
does not, as it gained nothing measurable in its export): no exporter can take less than the
faster of the two, so DuckDB's time over that floor bounds the speed-up any exporter can show.
CPU time is given because wall time on a shared machine depends on its load.
Prints a Markdown table; sizes in MB (10^6 bytes), throughput = CSV bytes / wall time.
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# The seven columns that identify an access row (access model, section 3): who (identity type and
# id, and its environment), what (entitlement type and id) and where (scope type and id).
KEY = [
    "identity_type",
    "identity_id",
    "environment_id",
    "entitlement_type",
    "entitlement_id",
    "scope_type",
    "scope_id",
]


def timed_cmd(cmd):
    """Runs cmd under /usr/bin/time -v: (CPU seconds, user + system, peak RSS in MiB)."""
    r = subprocess.run(
        ["/usr/bin/time", "-v"] + cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    user = float(re.search(r"User time \(seconds\): (\S+)", r.stderr).group(1))
    system = float(re.search(r"System time \(seconds\): (\S+)", r.stderr).group(1))
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    return user + system, int(rss.group(1)) / 1024


def remove(path):
    """Removes `path` if it exists (before a timed run, so that it writes a new file)."""
    if os.path.exists(path):
        os.remove(path)


def p1graph_runs(args, extra, out, runs, replace=False):
    """Median wall seconds, max peak RSS (MiB), the output's size and median CPU seconds of
    `access` runs, each to a new file (or, with `replace`, over the last run's)."""
    walls, rsss, cpus = [], [], []
    for _ in range(runs):
        if not replace:
            remove(out)
        # A precise wall clock: /usr/bin/time prints hundredths only.
        t0 = time.perf_counter()
        cpu, rss = timed_cmd([args.p1graph, "access", "-q", "-i", args.snapshot, "-o", out] + extra)
        walls.append(time.perf_counter() - t0)
        rsss.append(rss)
        cpus.append(cpu)
    return statistics.median(walls), max(rsss), os.path.getsize(out), statistics.median(cpus)


def duck_runs(con, sql, runs, setup=None, out=None):
    """Median wall seconds and median CPU seconds (all threads of this process) of `sql`; `out`,
    if given, is removed before each run."""
    walls, cpus = [], []
    for _ in range(runs):
        if out:
            remove(out)
        if setup:
            con.execute(setup)
        c0, t0 = time.process_time(), time.perf_counter()
        con.execute(sql)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def write_floor(src, out, runs, reserve=False):
    """Median wall seconds of only writing `src`'s bytes (read into memory first, not timed) to
    a new file `out` in 8 MiB writes; with `reserve`, its space is reserved first. No program
    that writes this file can take less than the faster way: it bounds the speed-up any exporter
    can show over DuckDB, which writes it too."""
    data = open(src, "rb").read()
    walls, cpus = [], []
    for _ in range(runs):
        remove(out)
        c0, t0 = time.process_time(), time.perf_counter()
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            if reserve:
                os.posix_fallocate(fd, 0, len(data))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view[: 8 << 20]) :]
        finally:
            os.close(fd)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    remove(out)
    return statistics.median(walls), statistics.median(cpus)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--p1graph", required=True)
    ap.add_argument("--snapshot", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=None, help="scratch directory (default: a temporary one)")
    ap.add_argument("--no-duckdb", action="store_true", help="time p1graph only")
    ap.add_argument(
        "--export",
        default=None,
        help="the snapshot's export directory: also time DuckDB computing the key columns from the tenant",
    )
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="p1graph-duckdb-")
    os.makedirs(work, exist_ok=True)
    f = lambda name: os.path.join(work, name)
    rows = []  # (what, median s, peak MiB or None, bytes)

    full = p1graph_runs(args, [], f("p1.csv"), args.runs)
    rows.append(("p1graph access (CSV, 14 columns)", *full))
    full_replacing = p1graph_runs(args, [], f("p1.csv"), args.runs, replace=True)
    rows.append(("p1graph access (CSV, 14 columns), replacing its last file", *full_replacing))
    key = p1graph_runs(args, ["--columns", ",".join(KEY)], f("p1key.csv"), args.runs)
    rows.append(("p1graph access --columns (7 key columns)", *key))
    pq = p1graph_runs(args, ["--format", "parquet"], f("p1.parquet"), args.runs)
    rows.append(("p1graph access --format parquet (14 columns)", *pq))
    pqk = p1graph_runs(
        args, ["--format", "parquet", "--columns", ",".join(KEY)], f("p1key.parquet"), args.runs
    )
    rows.append(("p1graph access --format parquet --columns (7)", *pqk))
    csv_rows = sum(1 for _ in open(f("p1.csv"), "rb")) - 1
    floors = {}
    for src, cols in [("p1.csv", 14), ("p1key.csv", 7)]:
        for reserve in (False, True):
            secs, cpu = write_floor(f(src), f("floor.csv"), args.runs, reserve)
            how = "space reserved ahead" if reserve else "plain writes"
            rows.append((f"only writing the {cols}-column CSV's bytes (from memory; {how})", secs, None, os.path.getsize(f(src)), cpu))
            floors[cols] = min(floors.get(cols, secs), secs)
    floor_full, floor_key = floors[14], floors[7]

    duck = {}
    if not args.no_duckdb:
        import duckdb

        con = duckdb.connect()
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        con.execute(f"CREATE TABLE tbl AS SELECT * FROM read_csv('{f('p1.csv')}', header=true)")
        n = con.execute("SELECT count(*) FROM tbl").fetchone()[0]
        assert n == csv_rows, (n, csv_rows)
        # DuckDB reads p1graph's Parquet directly: same rows, same key columns in the same order.
        got = con.execute(f"SELECT count(*) FROM read_parquet('{f('p1.parquet')}')").fetchone()[0]
        assert got == csv_rows, (got, csv_rows)
        k = ", ".join(KEY)
        diff = con.execute(
            f"""SELECT count(*) FROM (
                  SELECT row_number() OVER () AS i, {k} FROM read_parquet('{f('p1.parquet')}')
                  EXCEPT
                  SELECT row_number() OVER () AS i, {k} FROM read_csv('{f('p1key.csv')}', header=true, all_varchar=true))"""
        ).fetchone()[0]
        assert diff == 0, f"{diff} rows differ between p1graph's Parquet and CSV"
        ordered = "SET preserve_insertion_order = true"
        tuned = "SET preserve_insertion_order = false"
        copy_full = f"COPY tbl TO '{f('duck.csv')}' (HEADER, DELIMITER ',')"
        copy_key = f"COPY (SELECT {k} FROM tbl) TO '{f('duckkey.csv')}' (HEADER, DELIMITER ',')"
        copy_pq = f"COPY tbl TO '{f('duck.parquet')}' (FORMAT parquet, COMPRESSION zstd)"
        duck["full"] = duck_runs(con, copy_full, args.runs, ordered, f("duck.csv"))
        rows.append(("DuckDB COPY tbl TO csv (ordered)", duck["full"][0], None, os.path.getsize(f("duck.csv")), duck["full"][1]))
        duck["full_tuned"] = duck_runs(con, copy_full, args.runs, tuned, f("duck.csv"))
        rows.append(("DuckDB COPY tbl TO csv (tuned)", duck["full_tuned"][0], None, os.path.getsize(f("duck.csv")), duck["full_tuned"][1]))
        replacing = duck_runs(con, copy_full, args.runs, tuned)
        rows.append(("DuckDB COPY tbl TO csv (tuned), replacing its last file", replacing[0], None, os.path.getsize(f("duck.csv")), replacing[1]))
        duck["key"] = duck_runs(con, copy_key, args.runs, ordered, f("duckkey.csv"))
        rows.append(("DuckDB COPY (SELECT 7 key columns) TO csv (ordered)", duck["key"][0], None, os.path.getsize(f("duckkey.csv")), duck["key"][1]))
        duck["key_tuned"] = duck_runs(con, copy_key, args.runs, tuned, f("duckkey.csv"))
        rows.append(("DuckDB COPY (SELECT 7 key columns) TO csv (tuned)", duck["key_tuned"][0], None, os.path.getsize(f("duckkey.csv")), duck["key_tuned"][1]))
        duck["parquet"] = duck_runs(con, copy_pq, args.runs, ordered, f("duck.parquet"))
        rows.append(("DuckDB COPY tbl TO parquet (zstd)", duck["parquet"][0], None, os.path.getsize(f("duck.parquet")), duck["parquet"][1]))
        if args.export:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import duckdb_tenant as dt

            con.execute("DROP TABLE tbl")
            dt.load_tenant(con, args.export)
            # The tenant query's rows, in the export's order, against p1graph's: equal row for row.
            diff = con.execute(
                f"""SELECT count(*) FROM (
                      SELECT row_number() OVER (ORDER BY {dt.SORT_KEY}) AS i, * FROM ({dt.KEY_QUERY}) q
                      EXCEPT
                      SELECT row_number() OVER () AS i, {k} FROM read_csv('{f('p1key.csv')}', header=true, all_varchar=true))"""
            ).fetchone()[0]
            n = con.execute(f"SELECT count(*) FROM ({dt.KEY_QUERY})").fetchone()[0]
            assert diff == 0 and n == csv_rows, f"DuckDB's access query: {n} rows, {diff} differ from p1graph's"
            print(f"DuckDB's access query on the tenant: the same {n:,} rows as p1graph, row for row")
            copy_t = lambda q: f"COPY ({q}) TO '{f('ducktenant.csv')}' (HEADER, DELIMITER ',')"
            duck["tenant_sorted"] = duck_runs(con, copy_t(dt.SORTED_QUERY), args.runs, ordered, f("ducktenant.csv"))
            rows.append(("DuckDB 7 key columns computed from the tenant, sorted", duck["tenant_sorted"][0], None, os.path.getsize(f("ducktenant.csv")), duck["tenant_sorted"][1]))
            duck["tenant"] = duck_runs(con, copy_t(dt.KEY_QUERY), args.runs, tuned, f("ducktenant.csv"))
            rows.append(("DuckDB 7 key columns computed from the tenant (tuned)", duck["tenant"][0], None, os.path.getsize(f("ducktenant.csv")), duck["tenant"][1]))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"DuckDB {duckdb.__version__}, {threads} threads; its process peaked at {peak:.0f} MiB (table included)")

    print(f"snapshot {args.snapshot}: {csv_rows:,} access rows, {os.path.getsize(f('p1.csv')) / 1e6:.1f} MB of CSV; median of {args.runs} runs\n")
    print("| what | median wall | median CPU (user+sys) | peak RSS | output | MB/s (wall) |")
    print("|---|---|---|---|---|---|")
    for what, secs, rss, size, cpu in rows:
        mbs = size / 1e6 / secs if secs > 0 else 0
        rss_s = f"{rss:.0f} MiB" if rss is not None else ""
        print(f"| {what} | {secs:.3f} s | {cpu:.2f} s | {rss_s} | {size / 1e6:.1f} MB | {mbs:.0f} |")
    print(f"\nload average while measuring: {os.getloadavg()}")
    if duck:
        best_full = min(duck["full"][0], duck["full_tuned"][0])
        best_key = min(duck["key"][0], duck["key_tuned"][0])
        print()
        print(f"full CSV: p1graph {full[0]:.3f} s vs DuckDB COPY {best_full:.3f} s: {best_full / full[0]:.2f}x (target >= 2x; each to a new file)")
        print(f"full CSV, each replacing its last file: p1graph {full_replacing[0]:.3f} s vs DuckDB COPY {replacing[0]:.3f} s: {replacing[0] / full_replacing[0]:.2f}x")
        print(f"7 key columns: p1graph {key[0]:.3f} s vs DuckDB projecting them {best_key:.3f} s: {best_key / key[0]:.2f}x")
        if "tenant" in duck:
            best_t = min(duck["tenant"][0], duck["tenant_sorted"][0])
            print(f"7 key columns: p1graph {key[0]:.3f} s vs DuckDB computing them from the tenant {best_t:.3f} s: {best_t / key[0]:.2f}x (target >= 5x)")
        # Writing the output is a floor under every exporter's time, p1graph's included.
        print(f"writing the 7-column file alone takes {floor_key:.3f} s: no exporter can be more than {best_key / floor_key:.2f}x as fast as DuckDB projecting the columns" + (f", {best_t / floor_key:.2f}x as fast as DuckDB computing them" if "tenant" in duck else ""))
        print(f"writing the 14-column file alone takes {floor_full:.3f} s: no exporter can be more than {best_full / floor_full:.2f}x as fast as DuckDB's COPY")
    if not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
