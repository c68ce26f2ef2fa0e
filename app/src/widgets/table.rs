//! Table: chosen columns (all by default), per-column label and number format,
//! threshold colours per column, sorting (a header click where a person is in front
//! of it), and page-flipping for tables longer than the box on a TV.

use super::chart::by_index;
use super::format::NumberFormat;
use super::inspect::{self, Edit};
use super::{Ctx, Kind};
use crate::model::{number, text_of, Accepts, Frame, Invalid, Look, Shape, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Table {
    pub columns: Vec<ColumnStyle>,
    pub sort_by: Option<String>,
    pub descending: bool,
    /// Seconds each page shows when the rows do not fit (0: show the first page only).
    pub flip_secs: u32,
    /// Most rows read (the rest are left out, after sorting).
    pub max_rows: u32,
}

impl Default for Table {
    fn default() -> Self {
        Self {
            columns: Vec::new(),
            sort_by: None,
            descending: true,
            flip_secs: 10,
            max_rows: 1000,
        }
    }
}

/// How one column is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ColumnStyle {
    pub field: String,
    /// The header (the field name when empty).
    pub label: String,
    /// Overrides the widget's number format for this column.
    pub format: Option<NumberFormat>,
    /// Colours the cells by the widget's thresholds.
    pub colored: bool,
}

const SLOTS: &[Slot] = &[Slot {
    name: "columns",
    label: "Columns (all when empty)",
    accepts: Accepts::Any,
    shape: Shape::PerRow,
    many: true,
    required: false,
}];

/// A cell as shown: its text, an optional colour, and whether it is a number.
pub type Cell = (String, Option<String>, bool);

/// The rows a table shows: cells as text with an optional colour.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grid {
    /// Field, label, and whether the column holds numbers (aligned right).
    pub headers: Vec<(String, String, bool)>,
    pub rows: Vec<Vec<Cell>>,
}

impl Grid {
    pub fn read(
        frame: &Frame,
        fields: &[String],
        props: &Table,
        look: &Look,
        sort: Option<(String, bool)>,
    ) -> Grid {
        let fields: Vec<String> = if fields.is_empty() {
            let mut all: Vec<String> = Vec::new();
            for r in frame.rows.iter().take(50) {
                for k in r.keys() {
                    if !all.contains(k) && all.len() < 50 {
                        all.push(k.clone());
                    }
                }
            }
            all
        } else {
            fields.to_vec()
        };
        let style = |f: &str| props.columns.iter().find(|c| c.field == f);
        let mut rows: Vec<&crate::model::Row> = frame.rows.iter().collect();
        if let Some((key, descending)) =
            sort.or_else(|| props.sort_by.clone().map(|k| (k, props.descending)))
        {
            rows.sort_by(|a, b| {
                let (x, y) = (a.get(&key), b.get(&key));
                let ord = match (x.and_then(number), y.and_then(number)) {
                    (Some(p), Some(q)) => p.total_cmp(&q),
                    _ => x
                        .map(text_of)
                        .unwrap_or_default()
                        .cmp(&y.map(text_of).unwrap_or_default()),
                };
                if descending {
                    ord.reverse()
                } else {
                    ord
                }
            });
        }
        rows.truncate(props.max_rows as usize);
        let headers = fields
            .iter()
            .map(|f| {
                let label = style(f)
                    .map(|s| s.label.clone())
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| f.clone());
                let numeric = rows
                    .iter()
                    .take(20)
                    .any(|r| r.get(f).is_some_and(serde_json::Value::is_number));
                (f.clone(), label, numeric)
            })
            .collect();
        let rows = rows
            .iter()
            .map(|r| {
                fields
                    .iter()
                    .map(|f| {
                        let v = r.get(f).unwrap_or(&serde_json::Value::Null);
                        let s = style(f);
                        let fmt = s.and_then(|s| s.format.as_ref()).unwrap_or(&look.format);
                        let n = v.as_f64();
                        let color = n
                            .filter(|_| s.is_some_and(|s| s.colored))
                            .and_then(|n| look.thresholds.color_for(n))
                            .map(|c| c.css());
                        (fmt.format_value(v), color, n.is_some())
                    })
                    .collect()
            })
            .collect();
        Grid { headers, rows }
    }
}

impl Kind for Table {
    const NAME: &'static str = "table";
    const LABEL: &'static str = "Table";
    const ICON: &'static str = "▦";
    const SIZE: (i32, i32) = (760, 420);
    const SLOTS: &'static [Slot] = SLOTS;

    fn validate(&self) -> Result<(), Invalid> {
        if self.columns.len() > 50 {
            return Err(Invalid::new("columns", "at most 50 columns"));
        }
        for (i, c) in self.columns.iter().enumerate() {
            let at = format!("columns[{i}]");
            crate::model::validate_field_name(&c.field)
                .map_err(|e| e.within(&format!("{at}.field")))?;
            if c.label.chars().count() > 100 {
                return Err(Invalid::new(
                    format!("{at}.label"),
                    "at most 100 characters",
                ));
            }
            if let Some(f) = &c.format {
                f.validate()
                    .map_err(|e| e.within(&format!("{at}.format")))?;
            }
        }
        if !(1..=10_000).contains(&self.max_rows) {
            return Err(Invalid::new("max_rows", "1 to 10000 rows"));
        }
        if self.flip_secs > 3600 {
            return Err(Invalid::new("flip_secs", "at most an hour"));
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let props = self.clone();
        let fields = cx.fields("columns");
        let frame = cx.frame;
        let look = cx.look.clone();
        let interactive = cx.screen.interactive;
        // A header click sorts (people only; kiosks keep the author's order).
        let sort = RwSignal::new(None::<(String, bool)>);
        let grid = {
            let props = props.clone();
            Memo::new(move |_| {
                let sort = sort.get();
                frame.with(|f| {
                    f.as_ref()
                        .map(|f| Grid::read(f, &fields, &props, &look, sort))
                        .unwrap_or_default()
                })
            })
        };
        let (_, ch) = cx.size;
        let row_px = (ch / 8.0).clamp(18.0, 64.0);
        let per_page = ((ch / row_px) as usize).saturating_sub(1).max(1);
        let page = ticker(props.flip_secs);
        let pages = move || grid.with(|g| g.rows.len().div_ceil(per_page).max(1));
        let shown = move || {
            let p = (page.get() as usize) % pages();
            grid.with(|g| {
                g.rows
                    .iter()
                    .enumerate()
                    .skip(p * per_page)
                    .take(per_page)
                    .map(|(i, r)| (i % per_page, r.clone()))
                    .collect::<Vec<_>>()
            })
        };
        let font = format!("font-size:calc(100cqw * {:.2} / var(--cw))", row_px * 0.5);
        view! {
            <div class="table-widget" style=font>
                <table>
                    <thead>
                        <tr>
                            <For each=move || grid.with(|g| g.headers.clone()) key=|h| h.clone() let:header>
                                {
                                    let (field, label, numeric) = header;
                                    let key = field.clone();
                                    let arrow = move || match sort.get() {
                                        Some((k, d)) if k == key => if d { " ▼" } else { " ▲" },
                                        _ => "",
                                    };
                                    let toggle = move |_| {
                                        if interactive {
                                            let f = field.clone();
                                            sort.update(|s| *s = Some(match s.take() {
                                                Some((k, d)) if k == f => (k, !d),
                                                _ => (f, true),
                                            }));
                                        }
                                    };
                                    view! {
                                        <th class:num=numeric>
                                            <button class="th" disabled=!interactive on:click=toggle>{label}{arrow}</button>
                                        </th>
                                    }
                                }
                            </For>
                        </tr>
                    </thead>
                    <tbody>
                        {by_index(Memo::new(move |_| shown()), move |row: Memo<Option<(usize, Vec<Cell>)>>| {
                            let cells = Memo::new(move |_| row.with(|r| r.as_ref().map(|r| r.1.clone()).unwrap_or_default()));
                            view! {
                                <tr hidden=move || row.with(Option::is_none)>
                                    {by_index(cells, move |cell: Memo<Option<Cell>>| {
                                        view! {
                                            <td
                                                hidden=move || cell.with(Option::is_none)
                                                class:num=move || cell.with(|c| c.as_ref().is_some_and(|c| c.2))
                                                style=move || cell.with(|c| c.as_ref().and_then(|c| c.1.clone()).map(|c| format!("color:{c}")))
                                            >
                                                {move || cell.with(|c| c.as_ref().map(|c| c.0.clone()).unwrap_or_default())}
                                            </td>
                                        }
                                    })}
                                </tr>
                            }
                        })}
                    </tbody>
                </table>
                <div class="table-pages" hidden=move || pages() < 2 || props.flip_secs == 0>
                    {move || format!("{} / {}", (page.get() as usize) % pages() + 1, pages())}
                </div>
            </div>
        }
        .into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        view! {
            {inspect::text(edit, "Sort by field", "sort_by", |p| p.sort_by.clone().unwrap_or_default(), |p, v| {
                let v = v.trim().to_string();
                p.sort_by = (!v.is_empty()).then_some(v);
            })}
            {inspect::check(edit, "Largest first", "descending", |p| p.descending, |p, v| p.descending = v)}
            {inspect::number(edit, "Seconds per page (0: no flipping)", "flip_secs", |p| f64::from(p.flip_secs), |p, v| p.flip_secs = v.clamp(0.0, 3600.0) as u32)}
            {inspect::area(edit, "Columns: one per line, field | label | decimals | suffix | coloured (yes to colour by thresholds)", "column_styles", |p| column_lines(&p.columns), |p, v| {
                if let Ok(columns) = parse_columns(&v) {
                    p.columns = columns;
                }
            })}
        }
        .into_any()
    }
}

/// The column styles as the inspector writes them: `field | label | decimals | suffix |
/// yes`, one per line.
pub fn column_lines(columns: &[ColumnStyle]) -> String {
    columns
        .iter()
        .map(|c| {
            let f = c.format.as_ref();
            let decimals = f
                .and_then(|f| f.decimals)
                .map(|d| d.to_string())
                .unwrap_or_default();
            let suffix = f.map(|f| f.suffix.clone()).unwrap_or_default();
            let colored = if c.colored { "yes" } else { "" };
            format!(
                "{} | {} | {decimals} | {suffix} | {colored}",
                c.field, c.label
            )
            .trim_end_matches([' ', '|'])
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads column styles; the first bad line is named.
pub fn parse_columns(text: &str) -> Result<Vec<ColumnStyle>, String> {
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let field = parts[0].to_string();
        crate::model::validate_field_name(&field)
            .map_err(|e| format!("line {}: {}", n + 1, e.message))?;
        let decimals = match parts.get(2).filter(|d| !d.is_empty()) {
            Some(d) => Some(
                d.parse::<u8>()
                    .ok()
                    .filter(|d| *d <= 6)
                    .ok_or_else(|| format!("line {}: decimals are 0 to 6", n + 1))?,
            ),
            None => None,
        };
        let suffix = parts.get(3).map(|s| s.to_string()).unwrap_or_default();
        let format = (decimals.is_some() || !suffix.is_empty()).then(|| NumberFormat {
            decimals,
            suffix: if suffix.is_empty() {
                suffix
            } else {
                format!(" {suffix}")
            },
            ..NumberFormat::default()
        });
        out.push(ColumnStyle {
            field,
            label: parts.get(1).map(|s| s.to_string()).unwrap_or_default(),
            format,
            colored: parts.get(4).is_some_and(|c| c.eq_ignore_ascii_case("yes")),
        });
    }
    Ok(out)
}

/// A counter that starts at 0 everywhere and, in the browser, goes up every `secs`
/// seconds (0: never): page flips and rotations that hydrate without a mismatch.
pub fn ticker(secs: u32) -> RwSignal<u64> {
    let n = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    if secs > 0 {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                n.try_update(|n| *n += 1);
            },
            std::time::Duration::from_secs(u64::from(secs)),
        ) {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = secs;
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DatasetId;
    use crate::widgets::format::{Color, Step, Thresholds};
    use serde_json::json;

    fn frame() -> Frame {
        let mut f = Frame::empty(DatasetId::parse("d").unwrap());
        f.rows = json!([{"host": "a", "cpu": 12.5, "up": true}, {"host": "b", "cpu": 93.0, "up": false}, {"host": "c", "cpu": 50.0}])
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect();
        f
    }

    #[test]
    fn columns_sort_and_colour_by_thresholds() {
        let look = Look {
            thresholds: Thresholds {
                base: None,
                steps: vec![Step {
                    from: 90.0,
                    color: Color::parse("red").unwrap(),
                }],
            },
            ..Look::default()
        };
        let props = Table {
            columns: vec![ColumnStyle {
                field: "cpu".into(),
                label: "CPU %".into(),
                colored: true,
                ..Default::default()
            }],
            sort_by: Some("cpu".into()),
            ..Table::default()
        };
        let g = Grid::read(
            &frame(),
            &["host".into(), "cpu".into()],
            &props,
            &look,
            None,
        );
        assert_eq!(g.headers[1].1, "CPU %");
        assert_eq!(g.rows[0][0].0, "b", "largest first");
        assert_eq!(g.rows[0][1].1.as_deref(), Some("var(--c-red)"));
        assert_eq!(g.rows[1][1].1, None);
        let by_host = Grid::read(
            &frame(),
            &["host".into()],
            &props,
            &look,
            Some(("host".into(), false)),
        );
        assert_eq!(
            by_host
                .rows
                .iter()
                .map(|r| r[0].0.clone())
                .collect::<Vec<_>>(),
            vec!["a", "b", "c"]
        );
    }

    #[test]
    fn column_styles_are_written_and_read_as_lines() {
        let cols = parse_columns("latency_ms | Latency | 0 | ms | yes\n\nhost | Host").unwrap();
        assert_eq!(cols[0].format.as_ref().unwrap().decimals, Some(0));
        assert_eq!(cols[0].format.as_ref().unwrap().suffix, " ms");
        assert!(cols[0].colored && !cols[1].colored && cols[1].format.is_none());
        assert_eq!(parse_columns(&column_lines(&cols)).unwrap(), cols);
        assert!(parse_columns("x | X | nine")
            .unwrap_err()
            .starts_with("line 1"));
    }

    #[test]
    fn without_chosen_columns_every_field_shows() {
        let g = Grid::read(&frame(), &[], &Table::default(), &Look::default(), None);
        assert_eq!(
            g.headers.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
            vec!["host", "cpu", "up"]
        );
        assert_eq!(g.rows[2][2].0, "—", "a missing cell");
    }
}
