//! Waiting on a target without trusting its numbers: deadlines that cannot
//! overflow and sleeps that never outlast them.
//!
//! `Instant + Duration` panics when the sum leaves the clock's range, and a
//! target (or a suite) can send any `interval` or `expires_in`; every wait in
//! the steps goes through here.

use std::time::{Duration, Instant};

/// The longest any step waits, whatever it is told: a day.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// `now + wait`, capped at [`MAX_WAIT`] so the sum never overflows.
pub(crate) fn deadline_after(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait.min(MAX_WAIT)).unwrap_or(now)
}

/// Sleeps for `wait`, but never past `deadline`.
pub(crate) async fn sleep_until_at_most(wait: Duration, deadline: Instant) {
    let left = deadline.saturating_duration_since(Instant::now());
    tokio::time::sleep(wait.min(left)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_wait_is_capped_instead_of_overflowing() {
        let d = deadline_after(Duration::MAX);
        assert!(d > Instant::now() + MAX_WAIT - Duration::from_secs(5));
        assert!(d <= Instant::now() + MAX_WAIT);
    }

    #[tokio::test]
    async fn a_sleep_ends_at_the_deadline() {
        let start = Instant::now();
        sleep_until_at_most(Duration::MAX, deadline_after(Duration::from_millis(50))).await;
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
