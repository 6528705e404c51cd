//! Numbers as people write them, and axis ticks people can read: at least three labelled ticks
//! on every axis, linear axes on 1-2-5 steps, log axes on 1-2-5 decades (or, over less than a
//! decade, on linear 1-2-5 steps placed logarithmically).

use egui_plot::{GridInput, GridMark};

/// Smallest distance between two labelled y ticks, in points (a line of tick text is 14).
pub const LABEL_SPACING: f32 = 18.0;
/// Smallest distance between two labelled x ticks, in points (numbers such as 10,000 are wide).
pub const X_LABEL_SPACING: f32 = 80.0;
/// The plots' grid spacing floor in points: `GridInput::base_step_size` is this many points.
pub const GRID_SPACING: f32 = 8.0;

/// A number as people write it: up to four significant digits without trailing zeros between
/// 0.001 and 100,000 (`10`, `0.001`, `2.346`, `58348`), scientific notation outside with a
/// trimmed mantissa (`2e-4`, `1.2e10`).
pub fn format_value(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !a.is_finite() {
        return format!("{v}");
    }
    if (1e-3..1e5).contains(&a) {
        // Four significant digits, at most; never more decimals than the value needs.
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        return trim_zeros(format!("{v:.decimals$}"));
    }
    let formatted = format!("{v:.2e}");
    let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
    format!("{}e{exponent}", trim_zeros(mantissa.to_string()))
}

fn trim_zeros(s: String) -> String {
    if !s.contains('.') {
        return s;
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A count with thousands separators: `10,000`, `58,348`, `7`.
pub fn format_count(v: f64) -> String {
    // Round first: a value just below zero (an axis bound) is "0", not "-0".
    let v = v.round();
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

/// The 1-2-5 step at least `min_step` (positive).
pub fn nice_step(min_step: f64) -> f64 {
    let decade = 10f64.powf(min_step.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&s| s >= min_step * (1.0 - 1e-9))
        .unwrap_or(10.0 * decade)
}

/// The smallest step (in axis units) between labelled y ticks, from the grid input.
fn min_label_step(input: &GridInput) -> f64 {
    input.base_step_size.abs() * (LABEL_SPACING / GRID_SPACING) as f64
}

/// Ticks of a linear y axis: multiples of the smallest 1-2-5 step whose labels do not overlap,
/// each labelled.
pub fn linear_ticks(input: GridInput) -> Vec<GridMark> {
    let min_step = min_label_step(&input);
    ticks_every(input, min_step)
}

/// Ticks of the step axis: as [`linear_ticks`], spaced for wide labels, on whole steps (before
/// the first step the axis spans less than one, and fractions would all read "0").
pub fn x_ticks(input: GridInput) -> Vec<GridMark> {
    let spaced = input.base_step_size.abs() * (X_LABEL_SPACING / GRID_SPACING) as f64;
    let min_step = spaced.max(1.0);
    ticks_every(input, min_step)
}

/// Multiples of the smallest 1-2-5 step of at least `min_step` within the bounds.
fn ticks_every(input: GridInput, min_step: f64) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(min_step > 0.0 && min_step.is_finite() && lo.is_finite() && hi.is_finite()) {
        return Vec::new();
    }
    let step = nice_step(min_step);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|i| GridMark {
            value: i as f64 * step,
            step_size: step,
        })
        .collect()
}

/// Ticks of a log10 axis (the plot's y values are `log10` of the data): decades, then 1-2-5
/// within decades, then (over a narrow range) linear 1-2-5 steps of the data; the first of
/// these whose labels do not overlap and that gives at least three ticks.
pub fn log_ticks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let min_gap = min_label_step(&input);
    if !(min_gap > 0.0 && min_gap.is_finite() && lo.is_finite() && hi.is_finite() && lo < hi) {
        return Vec::new();
    }
    let (vlo, vhi) = (10f64.powf(lo), 10f64.powf(hi));
    let decades = |mantissas: &[f64], every: i32| -> Vec<f64> {
        let (d0, d1) = (lo.floor() as i32, hi.ceil() as i32);
        (d0..=d1)
            .filter(|d| d.rem_euclid(every) == 0)
            .flat_map(|d| mantissas.iter().map(move |m| m * 10f64.powi(d)))
            .filter(|v| (vlo..=vhi).contains(v))
            .collect()
    };
    // From sparse to dense: every tenth, fifth, ... decade, each decade, then 1-3, 1-2-5,
    // 1-2-3-5 and every integer mantissa within decades.
    let mut candidates: Vec<Vec<f64>> = [10, 5, 3, 2, 1]
        .into_iter()
        .map(|every| decades(&[1.0], every))
        .collect();
    for mantissas in [
        &[1.0, 3.0][..],
        &[1.0, 2.0, 5.0],
        &[1.0, 2.0, 3.0, 5.0],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    ] {
        candidates.push(decades(mantissas, 1));
    }
    let fits = |values: &[f64]| {
        values
            .windows(2)
            .all(|w| (w[1].log10() - w[0].log10()) >= min_gap * 0.999)
    };
    // The densest set whose labels fit.
    let mut best: Option<Vec<f64>> = None;
    for values in candidates {
        if values.len() >= best.as_ref().map_or(0, Vec::len) && fits(&values) {
            best = Some(values);
        }
    }
    let mut values = best.unwrap_or_default();
    if values.len() < 3 {
        // Less than a decade in view: linear steps of the data, as many as fit at the top of
        // the range (where a log axis squeezes them most).
        let gap_at_top = vhi * (1.0 - 10f64.powf(-min_gap));
        let step = nice_step(gap_at_top.max(f64::MIN_POSITIVE));
        let first = (vlo / step).ceil() as i64;
        let last = (vhi / step).floor() as i64;
        let linear: Vec<f64> = (first.max(1)..=last).map(|i| i as f64 * step).collect();
        if linear.len() > values.len() {
            values = linear;
        }
    }
    values
        .into_iter()
        .map(|v| GridMark {
            value: v.log10(),
            // Every mark labelled: the spacing was chosen so that labels fit.
            step_size: min_gap * 1.5,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_near_zero_have_no_sign() {
        assert_eq!(format_count(-0.4), "0");
        assert_eq!(format_count(-0.0), "0");
        assert_eq!(format_count(-1234.6), "-1,235");
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        let cases = [
            (10.0, "10"),
            (0.001, "0.001"),
            (2e-4, "2e-4"),
            (1.2e10, "1.2e10"),
            (2.34567, "2.346"),
            (58348.0, "58348"),
            (174.26, "174.3"),
            (3.0, "3"),
            (-0.5, "-0.5"),
            (0.0, "0"),
            (0.0123456, "0.01235"),
        ];
        for (v, want) in cases {
            assert_eq!(format_value(v), want, "{v}");
        }
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(format_count(10_000.0), "10,000");
        assert_eq!(format_count(58_348.0), "58,348");
        assert_eq!(format_count(1_234_567.0), "1,234,567");
        assert_eq!(format_count(7.0), "7");
        assert_eq!(format_count(-1500.0), "-1,500");
    }

    #[test]
    fn nice_steps_are_one_two_five() {
        assert_eq!(nice_step(0.13), 0.2);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(0.0004), 5e-4);
    }

    fn input(lo: f64, hi: f64, height_points: f64) -> GridInput {
        GridInput {
            bounds: (lo, hi),
            base_step_size: (hi - lo) / height_points * GRID_SPACING as f64,
        }
    }

    fn labels(marks: &[GridMark], log: bool) -> Vec<String> {
        marks
            .iter()
            .map(|m| format_value(if log { 10f64.powf(m.value) } else { m.value }))
            .collect()
    }

    #[test]
    fn every_axis_gets_at_least_three_labelled_ticks() {
        // A learning-rate axis 0..0.003 on a 120-point plot.
        let lin = linear_ticks(input(0.0, 0.003, 120.0));
        assert_eq!(
            labels(&lin, false),
            ["0", "5e-4", "0.001", "0.0015", "0.002", "0.0025", "0.003"]
        );
        // A step axis 0..10,000 on a 400-point plot: labels 80 points apart at least.
        let steps = x_ticks(GridInput {
            bounds: (0.0, 10_000.0),
            base_step_size: 10_000.0 / 400.0 * GRID_SPACING as f64,
        });
        let l: Vec<String> = steps.iter().map(|m| format_count(m.value)).collect();
        assert_eq!(l, ["0", "2,000", "4,000", "6,000", "8,000", "10,000"]);
        // Before the first step the axis spans less than one: whole steps, not five "0"s.
        let empty = x_ticks(GridInput {
            bounds: (-0.1, 1.1),
            base_step_size: 1.2 / 400.0 * GRID_SPACING as f64,
        });
        let l: Vec<String> = empty.iter().map(|m| format_count(m.value)).collect();
        assert_eq!(l, ["0", "1"]);
        // A narrow loss range on a log axis: 2.0..2.6 (less than a decade).
        let narrow = log_ticks(input(2f64.log10(), 2.6f64.log10(), 120.0));
        let l = labels(&narrow, true);
        assert!(l.len() >= 3, "{l:?}");
        assert!(l.iter().all(|s| s.len() <= 4), "{l:?}");
        // Six decades: decade labels only, no 3.981-style values.
        let wide = log_ticks(input(-1.0, 5.0, 200.0));
        let l = labels(&wide, true);
        assert!(l.len() >= 3, "{l:?}");
        assert!(l.contains(&"10".to_string()), "{l:?}");
        let decade = |s: &String| s.parse::<f64>().unwrap().log10().fract().abs() < 1e-9;
        assert!(l.iter().all(decade), "{l:?}");
        // One and a half decades on a tall plot: 1-2-5.
        let mid = labels(&log_ticks(input(0.0, 1.5, 300.0)), true);
        assert!(
            mid.contains(&"2".to_string()) && mid.contains(&"5".to_string()),
            "{mid:?}"
        );
    }

    #[test]
    fn labelled_ticks_never_overlap() {
        for (lo, hi, h) in [(0.0, 1.0, 120.0), (-3.0, 4.0, 130.0), (0.3, 0.31, 150.0)] {
            let i = input(lo, hi, h);
            let gap = min_label_step(&i);
            for marks in [linear_ticks(input(lo, hi, h)), log_ticks(input(lo, hi, h))] {
                for w in marks.windows(2) {
                    assert!(
                        w[1].value - w[0].value >= gap * 0.99,
                        "{lo}..{hi}: {marks:?}"
                    );
                }
            }
        }
    }
}
