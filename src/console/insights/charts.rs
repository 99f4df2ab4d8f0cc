//! The insights page's charts: geometry computed here, drawn as SVG elements by the template
//! (`templates/console/_chart.html`). Every chart has a fixed width; however many bars or
//! columns it holds, they share it.

/// One bar with its label and value text. Coordinates are in the chart's own units (its
/// `viewBox`), with fractions: a year of days is narrower than a pixel per day.
#[derive(Debug, Clone)]
pub struct Mark {
    /// Left edge.
    pub(super) x: f64,
    /// Top edge.
    pub(super) y: f64,
    /// Width.
    pub(super) w: f64,
    /// Height.
    pub(super) h: f64,
    /// The label (empty: not labelled, to keep labels apart).
    pub(super) label: String,
    /// Where the label is anchored, across.
    pub(super) label_x: f64,
    /// Where the label's baseline is.
    pub(super) label_y: f64,
    /// The value as text (empty: too many columns to show each).
    pub(super) value: String,
    /// Where the value is anchored, across.
    pub(super) value_x: f64,
    /// Where the value's baseline is.
    pub(super) value_y: f64,
}

/// A horizontal guide line with its label.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Start, across.
    pub(super) x1: f64,
    /// Start, down.
    pub(super) y1: f64,
    /// End, across.
    pub(super) x2: f64,
    /// End, down.
    pub(super) y2: f64,
    /// Its value as text.
    pub(super) label: String,
    /// Where the label ends, across.
    pub(super) label_x: f64,
    /// Where the label's baseline is.
    pub(super) label_y: f64,
}

/// A bar chart, ready to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Unique on the page: names its title and description for `aria-labelledby`.
    pub(super) id: &'static str,
    /// Its title, read out as the image's name.
    pub(super) title: String,
    /// What it shows, read out as the image's description.
    pub(super) desc: String,
    /// Width of its box (the `viewBox`).
    pub(super) width: i64,
    /// Height of its box.
    pub(super) height: i64,
    /// Bars grow sideways (labels on the left) rather than upwards.
    pub(super) horizontal: bool,
    /// The bars or columns.
    pub(super) marks: Vec<Mark>,
    /// Guide lines across the columns.
    pub(super) rules: Vec<Rule>,
}

const CHART_W: i64 = 640;
/// The width of a character of the charts' 12px labels, generously: a date label (`11-26`)
/// takes about 35 units.
const CHAR_W: f64 = 7.0;
/// The least gap between two labels under columns.
const LABEL_GAP: f64 = 12.0;

/// Rounded to a hundredth, so the SVG stays short and exact enough.
fn units(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Bars side by side: `(label, value, value as text)`, scaled to the largest value.
pub(super) fn bars(
    id: &'static str,
    title: String,
    desc: String,
    items: Vec<(String, f64, String)>,
) -> Chart {
    const LABEL_W: f64 = 250.0;
    const ROW: f64 = 30.0;
    let plot = CHART_W as f64 - LABEL_W - 140.0;
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max);
    let marks = items
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, text))| {
            let y = 6.0 + i as f64 * ROW;
            let w = if max > 0.0 {
                units((value / max).clamp(0.0, 1.0) * plot)
            } else {
                0.0
            };
            Mark {
                x: LABEL_W,
                y,
                w,
                h: ROW - 10.0,
                label: shorten(&label, 36),
                label_x: LABEL_W - 8.0,
                label_y: y + 15.0,
                value: text,
                value_x: units(LABEL_W + w + 6.0),
                value_y: y + 15.0,
            }
        })
        .collect::<Vec<_>>();
    Chart {
        id,
        title,
        desc,
        width: CHART_W,
        height: 12 + marks.len() as i64 * ROW as i64,
        horizontal: true,
        marks,
        rules: Vec::new(),
    }
}

/// Columns in a row, `(label, value, value as text)`, on a scale from 0 to `max` with guide
/// lines at `rules` (value, label). However many columns, they share the chart's fixed width;
/// every `label_every`-th column is labelled, or fewer, so that labels never crowd each other.
pub(super) fn columns(
    id: &'static str,
    title: String,
    desc: String,
    items: Vec<(String, f64, String)>,
    max: f64,
    rules: &[(f64, String)],
    label_every: usize,
) -> Chart {
    const LEFT: f64 = 48.0;
    // Room on the right for half of the last label, centred on its column.
    const RIGHT: f64 = 24.0;
    const TOP: f64 = 22.0;
    const PLOT_H: f64 = 160.0;
    let n = items.len().max(1);
    let slot = (CHART_W as f64 - LEFT - RIGHT) / n as f64;
    let bar = slot * 0.7;
    let widest = items.iter().map(|i| i.0.chars().count()).max().unwrap_or(0);
    let room = widest as f64 * CHAR_W + LABEL_GAP;
    let every = label_every.max((room / slot).ceil() as usize).max(1);
    let show_values = n <= 24;
    let scale = |v: f64| {
        if max > 0.0 {
            (v / max).clamp(0.0, 1.0) * PLOT_H
        } else {
            0.0
        }
    };
    let marks = items
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, text))| {
            let h = units(scale(value));
            let x = units(LEFT + i as f64 * slot + (slot - bar) / 2.0);
            let centre = units(LEFT + i as f64 * slot + slot / 2.0);
            Mark {
                x,
                y: units(TOP + PLOT_H - h),
                w: units(bar),
                h,
                label: if i % every == 0 { label } else { String::new() },
                label_x: centre,
                label_y: TOP + PLOT_H + 16.0,
                value: if show_values { text } else { String::new() },
                value_x: centre,
                value_y: units(TOP + PLOT_H - h - 4.0),
            }
        })
        .collect();
    let rules = rules
        .iter()
        .map(|(v, label)| {
            let y = units(TOP + PLOT_H - scale(*v));
            Rule {
                x1: LEFT,
                y1: y,
                x2: CHART_W as f64 - 4.0,
                y2: y,
                label: label.clone(),
                label_x: LEFT - 6.0,
                label_y: y + 4.0,
            }
        })
        .collect();
    Chart {
        id,
        title,
        desc,
        width: CHART_W,
        height: (TOP + PLOT_H) as i64 + 26,
        horizontal: false,
        marks,
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_scale_to_their_largest_value() {
        let c = bars(
            "t",
            "T".into(),
            "D".into(),
            vec![("a".into(), 2.0, "2".into()), ("b".into(), 4.0, "4".into())],
        );
        assert_eq!(c.marks[0].w * 2.0, c.marks[1].w);
        let c = columns(
            "t",
            "T".into(),
            "D".into(),
            vec![("a".into(), 0.0, "".into())],
            0.0,
            &[],
            1,
        );
        assert_eq!(c.marks[0].h, 0.0, "nothing to scale: no division by zero");
    }

    #[test]
    fn a_year_of_columns_fits_the_width_with_few_labels() {
        for n in [7, 30, 296, 297, 366] {
            let items = (0..n)
                .map(|i| {
                    (
                        format!("{:02}-{:02}", i / 28 + 1, i % 28 + 1),
                        1.0,
                        "1".into(),
                    )
                })
                .collect();
            let c = columns("t", "T".into(), "D".into(), items, 1.0, &[], 1);
            assert_eq!(c.marks.len(), n);
            assert!(
                c.marks
                    .iter()
                    .all(|m| m.x >= 0.0 && m.x + m.w <= c.width as f64)
            );
            let labelled: Vec<f64> = c
                .marks
                .iter()
                .filter(|m| !m.label.is_empty())
                .map(|m| m.label_x)
                .collect();
            assert!(labelled.len() <= 14, "{n}: {} labels", labelled.len());
            assert!(labelled.windows(2).all(|w| w[1] - w[0] >= 5.0 * CHAR_W));
        }
    }
}
