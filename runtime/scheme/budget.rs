//! The step and time budget of a running script (`--fuel`, `--timeout`).

use std::time::{Duration, Instant};

use super::error::{Result, SchemeError};

/// Steps granted at once: the fuel and the clock are looked at once per this many steps.
const BATCH: u32 = 0x4000;

/// Limits on how long a script may run: a step count and a wall-clock deadline.
///
/// A step costs one decrement of `countdown`, the steps granted in the current batch; when
/// it runs out, the next batch is taken from the fuel and the clock is looked at. The fuel
/// left is always `fuel + countdown`.
pub struct Budget {
    initial_fuel: Option<u64>,
    /// Fuel not yet granted to a batch.
    fuel: Option<u64>,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    /// Steps left in the current batch.
    countdown: u32,
}

impl Budget {
    /// A budget of `fuel` steps and `timeout` of wall time (each optional).
    pub fn new(fuel: Option<u64>, timeout: Option<Duration>) -> Budget {
        Budget {
            initial_fuel: fuel,
            fuel,
            timeout,
            deadline: None,
            countdown: 0,
        }
    }

    /// Starts the clock (called when a program starts running).
    pub fn start(&mut self) {
        self.deadline = self.timeout.map(|t| Instant::now() + t);
    }

    /// Gives back the whole step budget and restarts the clock (the REPL does this for
    /// each input).
    pub fn reset(&mut self) {
        self.fuel = self.initial_fuel;
        self.countdown = 0;
        self.start();
    }

    /// Spends one step; fails when the fuel or the time is used up.
    #[inline(always)]
    pub fn tick(&mut self) -> Result<()> {
        if self.countdown == 0 {
            return self.next_batch();
        }
        self.countdown -= 1;
        Ok(())
    }

    /// The current batch is used up: looks at the clock, then takes the next batch from the
    /// fuel and spends its first step.
    #[cold]
    #[inline(never)]
    fn next_batch(&mut self) -> Result<()> {
        self.check_time()?;
        let granted = match &mut self.fuel {
            None => BATCH,
            Some(0) => return Err(SchemeError::limit("fuel exhausted (--fuel)")),
            Some(fuel) => {
                let n = (*fuel).min(u64::from(BATCH));
                *fuel -= n;
                n as u32
            }
        };
        self.countdown = granted - 1;
        Ok(())
    }

    /// Spends `steps` steps at once (printing charges one per byte written).
    pub fn spend(&mut self, steps: u64) -> Result<()> {
        if let Some(fuel) = &mut self.fuel {
            let left = *fuel + u64::from(self.countdown);
            if left < steps {
                *fuel = 0;
                self.countdown = 0;
                return Err(SchemeError::limit("fuel exhausted (--fuel)"));
            }
            // Taken from the batch first, then from the fuel.
            let from_batch = steps.min(u64::from(self.countdown));
            self.countdown -= from_batch as u32;
            *fuel -= steps - from_batch;
        }
        self.check_time()
    }

    fn check_time(&self) -> Result<()> {
        if let (Some(deadline), Some(timeout)) = (self.deadline, self.timeout) {
            if Instant::now() >= deadline {
                return Err(SchemeError::limit(format!(
                    "timeout: the program ran longer than {timeout:?} (--timeout)"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticks_until_error(b: &mut Budget, most: u64) -> u64 {
        (0..most).take_while(|_| b.tick().is_ok()).count() as u64
    }

    #[test]
    fn fuel_allows_exactly_its_steps_across_batches() {
        for fuel in [
            0,
            1,
            2,
            u64::from(BATCH) - 1,
            u64::from(BATCH),
            3 * u64::from(BATCH) + 7,
        ] {
            let mut b = Budget::new(Some(fuel), None);
            assert_eq!(ticks_until_error(&mut b, fuel + 10), fuel, "fuel {fuel}");
            assert!(b.tick().is_err(), "still exhausted");
        }
    }

    #[test]
    fn spend_takes_from_the_batch_and_the_fuel() {
        let fuel = 2 * u64::from(BATCH) + 5;
        let mut b = Budget::new(Some(fuel), None);
        b.tick().unwrap();
        b.spend(100).unwrap();
        b.spend(u64::from(BATCH)).unwrap();
        let used = 1 + 100 + u64::from(BATCH);
        assert_eq!(ticks_until_error(&mut b, fuel), fuel - used);
        let mut b = Budget::new(Some(10), None);
        b.tick().unwrap();
        assert!(b.spend(10).is_err(), "only 9 left");
        assert!(b.tick().is_err());
    }

    #[test]
    fn reset_gives_back_the_fuel() {
        let mut b = Budget::new(Some(5), None);
        assert_eq!(ticks_until_error(&mut b, 10), 5);
        b.reset();
        assert_eq!(ticks_until_error(&mut b, 10), 5);
    }

    #[test]
    fn no_fuel_never_runs_out_and_the_clock_is_looked_at() {
        let mut b = Budget::new(None, None);
        assert_eq!(
            ticks_until_error(&mut b, 5 * u64::from(BATCH)),
            5 * u64::from(BATCH)
        );
        let mut b = Budget::new(None, Some(Duration::ZERO));
        b.start();
        let ran = ticks_until_error(&mut b, 5 * u64::from(BATCH));
        assert!(
            ran <= u64::from(BATCH),
            "timed out within one batch, ran {ran}"
        );
    }
}
