//! The result table, as aligned text or Markdown.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::stats::Recorder;

/// One line of the result table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    /// The workload (or phase) measured.
    pub workload: String,
    /// Successful requests (or sockets, or starts) in the measured phase.
    pub requests: u64,
    /// Failures by kind.
    pub errors: BTreeMap<String, u64>,
    /// Successful requests per second.
    pub rps: Option<f64>,
    /// Latency percentiles and maximum, in milliseconds.
    pub p50_ms: Option<f64>,
    /// 90th percentile, ms.
    pub p90_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Largest latency, ms.
    pub max_ms: Option<f64>,
    /// The server's RSS before the phase, KiB.
    pub rss_before_kib: Option<u64>,
    /// The server's RSS after the phase, KiB.
    pub rss_after_kib: Option<u64>,
    /// Average cores the server used during the phase.
    pub server_cores: Option<f64>,
    /// Average cores the load generator used during the phase.
    pub loadgen_cores: Option<f64>,
    /// Average cores the whole machine used but the load generator (the
    /// server with its database): the CPU per request of the ratios.
    pub others_cores: Option<f64>,
    /// Anything else worth a word (ratios, push latency, unsupported).
    pub note: String,
}

impl Row {
    /// A row from a merged record of a phase that lasted `elapsed`.
    pub fn from_record(workload: &str, rec: &Recorder, elapsed: Option<Duration>) -> Row {
        let secs = elapsed.map(|e| e.as_secs_f64()).filter(|s| *s > 0.0);
        Row {
            workload: workload.to_owned(),
            requests: rec.ok_count(),
            errors: rec.errors().clone(),
            rps: secs.map(|s| rec.ok_count() as f64 / s),
            p50_ms: rec.quantile_ms(0.50),
            p90_ms: rec.quantile_ms(0.90),
            p99_ms: rec.quantile_ms(0.99),
            max_ms: rec.max_ms(),
            ..Row::default()
        }
    }

    /// A row that says only why the workload did not run.
    pub fn skipped(workload: &str, why: impl Into<String>) -> Row {
        Row {
            workload: workload.to_owned(),
            note: why.into(),
            ..Row::default()
        }
    }
}

const COLUMNS: usize = 12;

const HEADERS: [&str; COLUMNS] = [
    "workload",
    "requests",
    "errors",
    "rps",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "max ms",
    "RSS before",
    "RSS after",
    "CPU srv/lg",
    "note",
];

/// The errors column: `0`, or the total and its kinds (`3 (409:2 timeout:1)`).
pub fn format_errors(errors: &BTreeMap<String, u64>) -> String {
    let total: u64 = errors.values().sum();
    if total == 0 {
        return "0".to_owned();
    }
    let kinds: Vec<String> = errors
        .iter()
        .map(|(kind, count)| format!("{kind}:{count}"))
        .collect();
    format!("{total} ({})", kinds.join(" "))
}

/// Milliseconds with precision that suits their size.
pub fn format_ms(ms: Option<f64>) -> String {
    match ms {
        None => "-".to_owned(),
        Some(ms) if ms < 10.0 => format!("{ms:.2}"),
        Some(ms) if ms < 100.0 => format!("{ms:.1}"),
        Some(ms) => format!("{ms:.0}"),
    }
}

/// A KiB figure as MiB.
pub fn format_rss(kib: Option<u64>) -> String {
    match kib {
        None => "-".to_owned(),
        Some(kib) => format!("{:.1} MiB", kib as f64 / 1024.0),
    }
}

/// Cores used by the server and the load generator, `1.62/0.85`.
pub fn format_cores(server: Option<f64>, loadgen: Option<f64>) -> String {
    let one = |c: Option<f64>| c.map_or_else(|| "-".to_owned(), |c| format!("{c:.2}"));
    if server.is_none() && loadgen.is_none() {
        return "-".to_owned();
    }
    format!("{}/{}", one(server), one(loadgen))
}

fn cells(row: &Row) -> [String; COLUMNS] {
    [
        row.workload.clone(),
        row.requests.to_string(),
        format_errors(&row.errors),
        row.rps
            .map_or_else(|| "-".to_owned(), |r| format!("{r:.0}")),
        format_ms(row.p50_ms),
        format_ms(row.p90_ms),
        format_ms(row.p99_ms),
        format_ms(row.max_ms),
        format_rss(row.rss_before_kib),
        format_rss(row.rss_after_kib),
        format_cores(row.server_cores, row.loadgen_cores),
        row.note.clone(),
    ]
}

/// The table as aligned plain text: text columns left, numbers right.
pub fn render_text(rows: &[Row]) -> String {
    let body: Vec<[String; COLUMNS]> = rows.iter().map(cells).collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for line in &body {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let left = |col: usize| matches!(col, 0 | 2 | 11);
    let mut out = String::new();
    let mut push_line = |line: &[String]| {
        let mut text = String::new();
        for (col, cell) in line.iter().enumerate() {
            if col > 0 {
                text.push_str("  ");
            }
            let pad = widths[col].saturating_sub(cell.chars().count());
            if left(col) {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    push_line(&HEADERS.map(str::to_owned));
    for line in &body {
        push_line(line);
    }
    out
}

/// The table as Markdown.
pub fn render_markdown(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", HEADERS.join(" | "));
    let rule: Vec<&str> = (0..HEADERS.len())
        .map(|col| {
            if matches!(col, 0 | 2 | 11) {
                "---"
            } else {
                "---:"
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for row in rows {
        let line: Vec<String> = cells(row)
            .into_iter()
            .map(|c| c.replace('|', "\\|"))
            .collect();
        let _ = writeln!(out, "| {} |", line.join(" | "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Row {
        Row {
            workload: "jobs-list".to_owned(),
            requests: 70_000,
            errors: BTreeMap::from([("500".to_owned(), 2), ("timeout".to_owned(), 1)]),
            rps: Some(3500.4),
            p50_ms: Some(4.25),
            p90_ms: Some(9.5),
            p99_ms: Some(14.0),
            max_ms: Some(120.3),
            rss_before_kib: Some(20_480),
            rss_after_kib: Some(30_720),
            server_cores: Some(1.5),
            loadgen_cores: Some(0.5),
            others_cores: Some(1.6),
            note: String::new(),
        }
    }

    #[test]
    fn errors_are_totalled_with_their_kinds() {
        assert_eq!(format_errors(&BTreeMap::new()), "0");
        assert_eq!(format_errors(&sample().errors), "3 (500:2 timeout:1)");
    }

    #[test]
    fn numbers_are_formatted_for_reading() {
        assert_eq!(format_ms(None), "-");
        assert_eq!(format_ms(Some(4.256)), "4.26");
        assert_eq!(format_ms(Some(14.04)), "14.0");
        assert_eq!(format_ms(Some(120.3)), "120");
        assert_eq!(format_rss(Some(20_480)), "20.0 MiB");
        assert_eq!(format_rss(None), "-");
        assert_eq!(format_cores(Some(1.624), Some(0.8)), "1.62/0.80");
        assert_eq!(format_cores(None, Some(0.8)), "-/0.80");
        assert_eq!(format_cores(None, None), "-");
    }

    #[test]
    fn the_text_table_aligns_its_columns() {
        let rows = vec![sample(), Row::skipped("messages", "unsupported (404)")];
        let text = render_text(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("workload "));
        assert!(lines[1].starts_with("jobs-list "));
        assert!(lines[1].contains("3 (500:2 timeout:1)"));
        assert!(lines[1].contains(" 3500 "));
        assert!(lines[2].ends_with("unsupported (404)"));
        // The right-aligned `rps` column ends at the same place on every line.
        let end = |line: &str, cell: &str| line.find(cell).map(|i| i + cell.len());
        assert_eq!(end(lines[0], " rps"), end(lines[1], " 3500"));
    }

    #[test]
    fn the_markdown_table_has_a_rule_and_one_line_per_row() {
        let md = render_markdown(&[sample()]);
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("| workload | requests |"));
        assert!(lines[1].starts_with("|---|---:|---|"));
        assert!(lines[2].contains("| 20.0 MiB | 30.0 MiB | 1.50/0.50 |"));
    }

    #[test]
    fn a_row_from_a_record_computes_the_rate() {
        let mut rec = Recorder::new();
        for _ in 0..100 {
            rec.ok(Duration::from_millis(1));
        }
        let row = Row::from_record("me", &rec, Some(Duration::from_secs(2)));
        assert_eq!(row.requests, 100);
        assert_eq!(row.rps, Some(50.0));
        assert!(row.p99_ms.is_some());
        assert_eq!(Row::from_record("me", &rec, None).rps, None);
    }
}
