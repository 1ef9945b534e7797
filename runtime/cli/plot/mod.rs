//! `prologue bench --plot FILE.svg`: every stop of the program over the run (by kind), the
//! minimum mutator utilisation curve, and how the stops' lengths are distributed.

mod ticks;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use prologue::PauseKind;
use prologue_workloads::mmu::{log_windows, REPORT_WINDOWS};
use prologue_workloads::{GcSummary, PauseRecord};
use std::error::Error;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;
use ticks::{axis_labeller, duration_label, linear_ticks, log_ticks, rounded_duration};

/// The kinds of stop drawn apart, each with its colour and legend.
const KINDS: [(Kind, RGBColor, &str); 4] = [
    (Kind::Young, RGBColor(31, 119, 180), "young cycle"),
    (Kind::Full, RGBColor(214, 39, 40), "full cycle"),
    (Kind::Sweep, RGBColor(44, 160, 44), "sweep step"),
    (Kind::Other, RGBColor(148, 103, 189), "other stop"),
];

/// The kinds of stop the plot tells apart (the gc crate's kind list may grow: `Other`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Young,
    Full,
    Sweep,
    Other,
}

fn kind(pause: &PauseRecord) -> Kind {
    match pause.kind {
        PauseKind::Young => Kind::Young,
        PauseKind::Full | PauseKind::Start | PauseKind::Step | PauseKind::Finish => Kind::Full,
        PauseKind::Sweep => Kind::Sweep,
        _ => Kind::Other,
    }
}

/// Shortest and longest window of the MMU curve, and its points.
const MMU_FROM: Duration = Duration::from_micros(100);
const MMU_TO: Duration = Duration::from_secs(1);
const MMU_POINTS: usize = 61;

/// Histogram bins per decade of stop length.
const BINS_PER_DECADE: f64 = 5.0;

const FONT: &str = "sans-serif";

/// Writes an SVG with three charts: every stop at the time it began, coloured by kind (top);
/// the minimum mutator utilisation curve of the run of length `wall` (middle); and how the
/// stops' lengths are distributed, by kind (bottom).
pub fn write_svg(
    path: &Path,
    title: &str,
    gc: &GcSummary,
    wall: Duration,
) -> Result<(), Box<dyn Error>> {
    let root = SVGBackend::new(path, (1000, 1180)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, (FONT, 22))?;
    let (upper, rest) = root.split_vertically(400);
    let (middle, lower) = rest.split_vertically(380);
    timeline(&upper, gc, wall)?;
    mmu_chart(&middle, gc, wall)?;
    histogram(&lower, gc)?;
    root.present()?;
    Ok(())
}

/// The log axis range of stop lengths, in seconds: whole decades around every stop.
fn stop_range(gc: &GcSummary) -> (f64, f64) {
    let lengths = gc.pauses.iter().map(|p| p.duration.as_secs_f64().max(1e-7));
    let lo = lengths.clone().fold(f64::INFINITY, f64::min);
    let hi = lengths.fold(0.0, f64::max);
    if !lo.is_finite() {
        return (1e-6, 1e-3);
    }
    let lo = 10f64.powf(lo.log10().floor());
    // Headroom above the longest stop, so it does not sit on the frame.
    let hi = 10f64.powf((hi * 2.0).log10().ceil()).max(lo * 10.0);
    (lo, hi)
}

/// A linear axis whose labelled ticks are exactly `ticks` (plotters' own pick ragged values).
struct Ticked {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl Ticked {
    /// The axis `0..max`, ticked at round steps (about `target` of them).
    fn up_to(max: f64, target: usize) -> Ticked {
        Ticked {
            range: 0.0..max,
            ticks: linear_ticks(max, target),
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        RangedCoordf64::from(self.range.clone()).map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// Room right of every chart for its legend, outside the data (so it never hides a point), and
/// the same for all three so their plotting areas line up.
const LEGEND_WIDTH: u32 = 130;

/// How a legend shows its colours.
#[derive(Clone, Copy)]
enum Marker {
    Dot,
    Bar,
}

/// A legend in the right margin of `area`, top-aligned with the plotting area.
fn legend(
    area: &Area<'_>,
    entries: &[(RGBColor, &str)],
    marker: Marker,
) -> Result<(), Box<dyn Error>> {
    let x = area.dim_in_pixel().0 as i32 - LEGEND_WIDTH as i32 + 12;
    for (i, &(colour, name)) in entries.iter().enumerate() {
        let y = 50 + 22 * i as i32;
        match marker {
            Marker::Dot => area.draw(&Circle::new((x + 6, y), 5, colour.filled()))?,
            Marker::Bar => area.draw(&Rectangle::new(
                [(x, y - 6), (x + 12, y + 6)],
                colour.filled(),
            ))?,
        }
        area.draw(&Text::new(name, (x + 20, y - 7), (FONT, 14)))?;
    }
    Ok(())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn timeline(area: &Area<'_>, gc: &GcSummary, wall: Duration) -> Result<(), Box<dyn Error>> {
    let counts = gc.pause_counts();
    let t_max = wall.as_secs_f64().max(1e-3);
    let x_axis = Ticked::up_to(t_max, 10);
    let x_label = axis_labeller(x_axis.ticks.last().copied().unwrap_or(t_max));
    let (lo, hi) = stop_range(gc);
    let (major, minor) = log_ticks(lo, hi);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{} stops over the run ({} young cycles, {} full cycles, {} sweep steps)",
                gc.pause_count(),
                counts.young,
                counts.full,
                counts.sweep
            ),
            (FONT, 16),
        )
        .margin(12)
        .margin_right(LEGEND_WIDTH)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            x_axis,
            (lo..hi)
                .log_scale()
                .with_key_points(major)
                .with_light_points(minor),
        )?;
    chart
        .configure_mesh()
        .x_desc("time since start")
        .y_desc("stop length")
        .x_label_formatter(&x_label)
        .y_label_formatter(&|v| duration_label(*v))
        .draw()?;
    let mut shown = Vec::new();
    for (which, colour, name) in KINDS {
        let points: Vec<(f64, f64)> = gc
            .pauses
            .iter()
            .filter(|p| kind(p) == which)
            .map(|p| {
                (
                    p.start.as_secs_f64(),
                    p.duration.as_secs_f64().clamp(lo, hi),
                )
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        let size = if which == Kind::Sweep { 1 } else { 2 };
        chart.draw_series(
            points
                .into_iter()
                .map(move |p| Circle::new(p, size, colour.mix(0.8).filled())),
        )?;
        shown.push((colour, name));
    }
    legend(area, &shown, Marker::Dot)?;
    Ok(())
}

fn mmu_chart(area: &Area<'_>, gc: &GcSummary, wall: Duration) -> Result<(), Box<dyn Error>> {
    // A window longer than the run is the run: the curve stops at the run's length.
    let mut windows: Vec<Duration> = log_windows(MMU_FROM, MMU_TO, MMU_POINTS)
        .into_iter()
        .filter(|&w| w < wall)
        .collect();
    let ends_early = wall < MMU_TO;
    if ends_early && wall >= MMU_FROM {
        windows.push(wall);
    }
    let curve = gc.mmu_curve(wall, &windows);
    let marks = gc.mmu_curve(wall, &REPORT_WINDOWS);
    let end_note = if ends_early {
        format!("; the run lasted {}", rounded_duration(wall.as_secs_f64()))
    } else {
        String::new()
    };
    let (from, to) = (MMU_FROM.as_secs_f64(), MMU_TO.as_secs_f64());
    let (major, minor) = log_ticks(from, to);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "minimum mutator utilisation (1 ms: {:.2}, 10 ms: {:.2}, 100 ms: {:.2}{end_note})",
                marks[0], marks[1], marks[2]
            ),
            (FONT, 16),
        )
        .margin(12)
        .margin_right(LEGEND_WIDTH)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (from..to)
                .log_scale()
                .with_key_points(major)
                .with_light_points(minor),
            Ticked::up_to(1.0, 5),
        )?;
    chart
        .configure_mesh()
        .x_desc("window length")
        .y_desc("program's share of its worst window")
        .x_label_formatter(&|v| duration_label(*v))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .draw()?;
    let line = RGBColor(31, 119, 180);
    chart.draw_series(LineSeries::new(
        windows.iter().map(|w| w.as_secs_f64()).zip(curve),
        line.stroke_width(2),
    ))?;
    chart.draw_series(
        REPORT_WINDOWS
            .iter()
            .zip(&marks)
            .filter(|(&w, _)| w <= wall)
            .map(|(w, &u)| Circle::new((w.as_secs_f64(), u), 4, line.filled())),
    )?;
    Ok(())
}

fn histogram(area: &Area<'_>, gc: &GcSummary) -> Result<(), Box<dyn Error>> {
    let (lo, hi) = stop_range(gc);
    let bins = ((hi / lo).log10() * BINS_PER_DECADE).round().max(1.0) as usize;
    let edge = |i: usize| lo * 10f64.powf(i as f64 / BINS_PER_DECADE);
    let present: Vec<_> = KINDS
        .iter()
        .filter(|(which, _, _)| gc.pauses.iter().any(|p| kind(p) == *which))
        .collect();
    let mut counts = vec![vec![0u64; bins]; present.len()];
    for pause in &gc.pauses {
        let length = pause.duration.as_secs_f64().max(lo);
        let bin = (((length / lo).log10() * BINS_PER_DECADE) as usize).min(bins - 1);
        if let Some(k) = present
            .iter()
            .position(|(which, _, _)| *which == kind(pause))
        {
            counts[k][bin] += 1;
        }
    }
    let most = counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let y_top = 10f64.powf(most.log10().ceil()).max(10.0);
    let (x_major, x_minor) = log_ticks(lo, hi);
    let (y_major, _) = log_ticks(1.0, y_top);
    let mut chart = ChartBuilder::on(area)
        .caption("pause distribution (every stop, by kind)", (FONT, 16))
        .margin(12)
        .margin_right(LEGEND_WIDTH)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (lo..hi)
                .log_scale()
                .with_key_points(x_major)
                .with_light_points(x_minor),
            (0.5..y_top).log_scale().with_key_points(y_major),
        )?;
    chart
        .configure_mesh()
        .x_desc("stop length")
        .y_desc("stops")
        .x_label_formatter(&|v| duration_label(*v))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    // Each bin holds one bar per kind, side by side (evenly spaced on the log axis).
    let slots = present.len().max(1) as f64;
    for (k, (_, colour, _)) in present.iter().enumerate() {
        let colour = *colour;
        let bars = counts[k]
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(i, &n)| {
                let (a, b) = (edge(i).log10(), edge(i + 1).log10());
                let width = (b - a) / slots;
                let x0 = 10f64.powf(a + width * (k as f64 + 0.1));
                let x1 = 10f64.powf(a + width * (k as f64 + 0.9));
                Rectangle::new([(x0, 0.5), (x1, n as f64)], colour.mix(0.85).filled())
            });
        chart.draw_series(bars)?;
    }
    let shown: Vec<_> = present.iter().map(|(_, c, n)| (*c, *n)).collect();
    legend(area, &shown, Marker::Bar)?;
    Ok(())
}
