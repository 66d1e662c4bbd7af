//! The autosave after every choice, written on a thread of its own on the desktop: a
//! save records the whole choice log (so it survives story edits by replay), and
//! serialising a long log should not lengthen the frame the choice is made in. The
//! frame hands over a copy of the runner (a few plain vectors); the writer captures,
//! serialises and writes it. A newer autosave of the same story replaces one not yet
//! written. Every frame begins by waiting for writes still running (usually none:
//! the writer works while the frame renders), so anything that reads the store sees
//! the autosave, and problems are reported in order. In a browser (one thread) the
//! autosave is written at once.

use super::messages::{EngineError, StoryNotice};
use super::persist::{self, DataStore, SlotId, StoreError, slot_text};
use crate::narrative::{Runner, Save};
use bevy::prelude::*;
#[cfg(not(target_arch = "wasm32"))]
use std::sync::{Arc, Condvar, Mutex, mpsc};

/// One autosave to write.
struct Job {
    data: DataStore,
    key: String,
    runner: Runner,
    now: u64,
}

impl Job {
    fn write(self) -> Result<(), StoreError> {
        self.data.write(&self.key, &slot_text(&Save::capture(&self.runner), self.now))
    }
}

/// The autosave writer.
#[derive(Resource, Default)]
pub struct Autosaver {
    #[cfg(not(target_arch = "wasm32"))]
    worker: Option<Worker>,
    /// Problems of writes done inline (in a browser).
    #[cfg(target_arch = "wasm32")]
    problems: Vec<StoreError>,
}

#[cfg(not(target_arch = "wasm32"))]
struct Worker {
    jobs: mpsc::Sender<Job>,
    progress: Arc<(Mutex<Progress>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Jobs handed over and jobs finished (written or replaced), and what failed.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Default)]
struct Progress {
    sent: u64,
    done: u64,
    problems: Vec<StoreError>,
}

impl Autosaver {
    /// Writes `runner`'s autosave (soon, on the desktop).
    pub(super) fn save(&mut self, data: &DataStore, story_id: &str, runner: &Runner) {
        let job = Job { data: data.clone(), key: SlotId::Auto.key(story_id), runner: runner.clone(), now: persist::now() };
        #[cfg(target_arch = "wasm32")]
        if let Err(e) = job.write() {
            self.problems.push(e);
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let worker = self.worker.get_or_insert_with(Worker::start);
            super::store::lock(&worker.progress.0).sent += 1;
            if let Err(mpsc::SendError(job)) = worker.jobs.send(job) {
                // The writer is gone (it cannot be, short of a panic there): write here.
                let mut p = super::store::lock(&worker.progress.0);
                p.done += 1;
                if let Err(e) = job.write() {
                    p.problems.push(e);
                }
            }
        }
    }

    /// Waits until every autosave handed over is written; returns what failed. The
    /// plugin does this at the start of every frame; call it yourself before doing
    /// something the autosave must be on disk for (copying the save folder, say).
    pub fn flush(&mut self) -> Vec<StoreError> {
        #[cfg(target_arch = "wasm32")]
        return std::mem::take(&mut self.problems);
        #[cfg(not(target_arch = "wasm32"))]
        {
            let Some(worker) = &self.worker else { return Vec::new() };
            let (lock, cvar) = &*worker.progress;
            let mut p = super::store::lock(lock);
            while p.done < p.sent {
                p = cvar.wait(p).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            std::mem::take(&mut p.problems)
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Worker {
    fn start() -> Worker {
        let (jobs, rx) = mpsc::channel::<Job>();
        let progress: Arc<(Mutex<Progress>, Condvar)> = Arc::default();
        let shared = Arc::clone(&progress);
        let thread = std::thread::Builder::new().name("epistle-autosave".into()).spawn(move || {
            while let Ok(first) = rx.recv() {
                // Only the newest autosave of each story is worth writing.
                let mut batch = vec![first];
                batch.extend(rx.try_iter());
                let count = batch.len() as u64;
                let mut newest: Vec<Job> = Vec::new();
                for job in batch {
                    newest.retain(|j| j.key != job.key);
                    newest.push(job);
                }
                let problems: Vec<StoreError> = newest.into_iter().filter_map(|j| j.write().err()).collect();
                let (lock, cvar) = &*shared;
                let mut p = super::store::lock(lock);
                p.done += count;
                p.problems.extend(problems);
                cvar.notify_all();
            }
        });
        Worker { jobs, progress, thread: thread.ok() }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Drop for Worker {
    /// The app is closing: the last autosave is written before it does.
    fn drop(&mut self) {
        let (tx, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.jobs, tx));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Each frame begins with the autosave written, and says what failed (the slot list
/// then shows what the store really holds).
fn settle(
    mut autosaver: ResMut<Autosaver>,
    mut notices: MessageWriter<StoryNotice>,
    session: Res<super::Session>,
    data: Res<DataStore>,
    mut slots: ResMut<super::SlotList>,
) {
    let problems = autosaver.flush();
    if problems.is_empty() {
        return;
    }
    for e in problems {
        notices.write(StoryNotice::Problem(EngineError::Autosave(e)));
    }
    if let Some(story) = session.story() {
        slots.refresh(&data, story, SlotId::Auto);
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Autosaver>();
    app.add_systems(First, settle);
}
