//! The time budget of one SEARCH, SORT or THREAD: a deadline checked as
//! the work goes, cheaply (the clock is read once every so many steps).

use std::cell::Cell;
use std::time::Instant;

use super::SearchError;

/// Steps between two readings of the clock.
const EVERY: u32 = 512;

/// Counts work and stops it at the deadline.
#[derive(Debug)]
pub struct Budget {
    deadline: Instant,
    steps: Cell<u32>,
}

impl Budget {
    /// A budget ending at `deadline`.
    pub fn new(deadline: Instant) -> Budget {
        Budget {
            deadline,
            steps: Cell::new(0),
        }
    }

    /// One step of work; every `EVERY` (512) steps, fails once the deadline
    /// has passed.
    pub fn tick(&self) -> Result<(), SearchError> {
        let n = self.steps.get().wrapping_add(1);
        self.steps.set(n);
        if n.is_multiple_of(EVERY) {
            self.check()
        } else {
            Ok(())
        }
    }

    /// Fails when the deadline has passed (reads the clock).
    pub fn check(&self) -> Result<(), SearchError> {
        if Instant::now() >= self.deadline {
            Err(SearchError::BudgetExceeded)
        } else {
            Ok(())
        }
    }
}
