//! Round tick marks for the plot's axes (1, 2, 5 x 10^k) and their labels in time units
//! ("0.5 ms", "1 ms", "10 ms"), so every axis reads at a glance.

/// The step of 1, 2 or 5 x 10^k that divides `span` into at most about `target` parts.
pub fn nice_step(span: f64, target: usize) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&step| step >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// Multiples of a round step from 0 up to `max` (at most about `target` of them, 0 included).
pub fn linear_ticks(max: f64, target: usize) -> Vec<f64> {
    let step = nice_step(max, target);
    let count = (max / step * (1.0 + 1e-9)).floor() as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

/// The powers of ten in `[lo, hi]` (the labelled ticks of a log axis), and the 2 and 5 x 10^k
/// between them (light grid lines).
pub fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let mut major = Vec::new();
    let mut minor = Vec::new();
    if lo <= 0.0 || hi <= lo {
        return (major, minor);
    }
    let inside = |v: f64| v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9);
    let mut k = lo.log10().floor() as i32;
    while 10f64.powi(k) <= hi * (1.0 + 1e-9) {
        let decade = 10f64.powi(k);
        if inside(decade) {
            major.push(decade);
        }
        for m in [2.0, 5.0] {
            if inside(m * decade) {
                minor.push(m * decade);
            }
        }
        k += 1;
    }
    (major, minor)
}

/// `value` with at most three decimals and no trailing zeros: 0.5, 1, 2.25.
fn trim(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// The unit a duration of `seconds` reads best in: its number of that unit is at least 1
/// (below 1 us: microseconds anyway).
fn unit(seconds: f64) -> (f64, &'static str) {
    if seconds >= 1.0 {
        (1.0, "s")
    } else if seconds >= 1e-3 {
        (1e3, "ms")
    } else {
        (1e6, "us")
    }
}

/// A duration in its own best unit: "200 us", "1 ms", "10 ms", "1 s" (log axes, where ticks
/// span decades).
pub fn duration_label(seconds: f64) -> String {
    if seconds == 0.0 {
        return "0".to_string();
    }
    let (scale, name) = unit(seconds);
    format!("{} {name}", trim(seconds * scale))
}

/// A measured duration to three significant digits in its best unit: "568 ms", "1.94 s".
pub fn rounded_duration(seconds: f64) -> String {
    let (scale, name) = unit(seconds);
    let value = seconds * scale;
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {name}")
}

/// A labeller for the ticks of a linear time axis whose largest tick is `max` seconds: every
/// tick in the unit of the largest one ("0 ms", "0.5 ms", "1 ms", "1.5 ms").
pub fn axis_labeller(max: f64) -> impl Fn(&f64) -> String {
    let (scale, name) = unit(max);
    move |seconds: &f64| format!("{} {name}", trim(seconds * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(3.36, 8), 0.5);
        assert_eq!(nice_step(10.0, 10), 1.0);
        assert_eq!(nice_step(0.0042, 5), 0.001);
        assert!((nice_step(170.0, 8) - 50.0).abs() < 1e-9);
        assert_eq!(
            linear_ticks(3.36, 8),
            vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
        );
        let label = axis_labeller(1.0);
        let unit: Vec<String> = linear_ticks(1.0, 5).iter().map(&label).collect();
        assert_eq!(unit, ["0 s", "0.2 s", "0.4 s", "0.6 s", "0.8 s", "1 s"]);
    }

    #[test]
    fn log_axes_get_decades_and_light_twos_and_fives() {
        let (major, minor) = log_ticks(1e-4, 1.0);
        assert_eq!(major.len(), 5);
        assert!((major[0] - 1e-4).abs() < 1e-15 && (major[4] - 1.0).abs() < 1e-12);
        assert_eq!(minor.len(), 8);
        let labels: Vec<String> = major.iter().map(|&v| duration_label(v)).collect();
        assert_eq!(labels, ["100 us", "1 ms", "10 ms", "100 ms", "1 s"]);
        assert_eq!(duration_label(minor[0]), "200 us");
    }

    #[test]
    fn linear_labels_share_the_largest_ticks_unit() {
        let label = axis_labeller(0.002);
        let ticks: Vec<String> = linear_ticks(0.002, 4).iter().map(&label).collect();
        assert_eq!(ticks, ["0 ms", "0.5 ms", "1 ms", "1.5 ms", "2 ms"]);
        let label = axis_labeller(3.0);
        assert_eq!(label(&0.5), "0.5 s");
        assert_eq!(duration_label(0.0005), "500 us");
        assert_eq!(duration_label(0.01), "10 ms");
        assert_eq!(rounded_duration(0.567818), "568 ms");
        assert_eq!(rounded_duration(1.9371), "1.94 s");
        assert_eq!(rounded_duration(0.0123), "12.3 ms");
    }
}
