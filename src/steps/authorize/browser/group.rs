//! The process group of a browser: probity starts chromedriver as the
//! leader of a new process group, which the Chromium it launches and that
//! Chromium's helpers (zygotes, renderers) join; killing the group ends
//! them all, whatever state they are in (Chromium's crash handlers, in
//! groups of their own, exit with it).

use std::sync::Mutex;

/// The process groups of the browsers running now, for [`kill_all_now`].
static RUNNING: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// A process group (chromedriver's, which Chromium joins), killed when
/// dropped.
#[derive(Debug)]
pub(super) struct ProcessGroup(Option<i32>);

impl ProcessGroup {
    pub(super) fn of(child: &tokio::process::Child) -> Self {
        let id = child.id().and_then(|id| i32::try_from(id).ok());
        if let (Some(id), Ok(mut running)) = (id, RUNNING.lock()) {
            running.push(id);
        }
        ProcessGroup(id)
    }

    /// The group's id (chromedriver's pid).
    pub(super) fn id(&self) -> Option<i32> {
        self.0
    }

    pub(super) fn kill(&self) {
        if let Some(id) = self.0 {
            kill_group(id);
            if let Ok(mut running) = RUNNING.lock() {
                running.retain(|g| *g != id);
            }
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

fn kill_group(id: i32) {
    // SAFETY: kill(2) with a negative pid signals that process group; it
    // touches no memory of ours.
    unsafe {
        libc::kill(-id, libc::SIGKILL);
    }
}

/// Kills every browser this process started, at once: for an exit that
/// runs no destructors (a second Ctrl-C).
pub fn kill_all_now() {
    if let Ok(mut running) = RUNNING.lock() {
        for id in running.drain(..) {
            kill_group(id);
        }
    }
}
