//! `prologue bench --plot FILE.svg`: pause times over the run, and their histogram.

use plotters::prelude::*;
use prologue::workloads::GcSummary;
use std::error::Error;
use std::path::Path;

/// Bars in the histogram.
const BINS: u32 = 40;

/// Writes an SVG with two charts: every pause at the time its cycle ended (top), and how the
/// pauses are distributed (bottom).
pub fn write_svg(path: &Path, title: &str, gc: &GcSummary) -> Result<(), Box<dyn Error>> {
    let root = SVGBackend::new(path, (1000, 760)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 22))?;
    let (upper, lower) = root.split_vertically(380);

    let points: Vec<(f64, f64)> = gc
        .cycles
        .iter()
        .map(|c| (c.at.as_secs_f64(), c.pause.as_secs_f64() * 1e3))
        .collect();
    let t_max = points.iter().map(|p| p.0).fold(0.0, f64::max).max(1e-3) * 1.02;
    let p_max = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-3) * 1.1;

    let mut timeline = ChartBuilder::on(&upper)
        .caption(
            format!("{} pauses over the run", points.len()),
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_max, 0.0..p_max)?;
    timeline
        .configure_mesh()
        .x_desc("time since start (s)")
        .y_desc("pause (ms)")
        .draw()?;
    // One colour per mutator thread (pool-churn runs several heaps).
    timeline.draw_series(
        points
            .iter()
            .zip(&gc.cycles)
            .map(|(&(t, p), cycle)| Circle::new((t, p), 2, Palette99::pick(cycle.thread).filled())),
    )?;

    let width = p_max / f64::from(BINS);
    let mut counts = vec![0u32; BINS as usize];
    for &(_, p) in &points {
        let bin = ((p / width) as usize).min(BINS as usize - 1);
        counts[bin] += 1;
    }
    let count_max = counts.iter().copied().max().unwrap_or(0).max(1);
    let mut histogram = ChartBuilder::on(&lower)
        .caption("pause distribution", ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (0..BINS).into_segmented(),
            0..count_max + count_max / 10 + 1,
        )?;
    histogram
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("pause (ms)")
        .y_desc("cycles")
        .x_label_formatter(&|v| match v {
            SegmentValue::Exact(i) | SegmentValue::CenterOf(i) => {
                format!("{:.2}", f64::from(*i) * width)
            }
            SegmentValue::Last => String::new(),
        })
        .draw()?;
    histogram.draw_series(
        Histogram::vertical(&histogram)
            .style(BLUE.mix(0.6).filled())
            .margin(1)
            .data(counts.iter().enumerate().map(|(i, &n)| (i as u32, n))),
    )?;
    root.present()?;
    Ok(())
}
