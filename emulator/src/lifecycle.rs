//! Moves a job through validating_files → queued → running → succeeded/failed as virtual time passes.
//!
//! Every transition happens at a time fixed by the job's creation time and phase durations, so the
//! state (and each event's timestamp) depends only on the virtual clock, not on when it is read.

use serde_json::json;

use crate::clock::{secs, Millis};
use crate::dialect::Dialect;
use crate::file::StoredFile;
use crate::ids;
use crate::job::{Checkpoint, Job, Status};
use crate::training::{self, Plan};

/// Applies every transition due by `now`; returns the results file when the job just succeeded.
pub fn advance(job: &mut Job, now: Millis) -> Option<StoredFile> {
    loop {
        let moved = match job.status {
            Status::ValidatingFiles => finish_validation(job, now),
            Status::Queued => start_running(job, now),
            Status::Running => return run(job, now),
            Status::Succeeded | Status::Failed | Status::Cancelled => false,
        };
        if !moved {
            return None;
        }
    }
}

/// Cancels a job that has not finished yet (call [`advance`] first).
pub fn cancel(job: &mut Job, now: Millis) -> Result<(), String> {
    if job.status.is_terminal() {
        return Err(format!(
            "Job {} has already {} and cannot be cancelled.",
            job.id,
            job.status.as_str()
        ));
    }
    job.status = Status::Cancelled;
    job.finished_at = Some(secs(now));
    job.estimated_finish = None;
    job.note(
        now,
        "cancel_requested",
        "Fine-tuning job cancelled".to_owned(),
    );
    Ok(())
}

fn validated_at(job: &Job) -> Millis {
    job.created_ms.saturating_add(job.timings.validating_ms)
}

fn started_at(job: &Job) -> Millis {
    validated_at(job).saturating_add(job.timings.queued_ms)
}

fn finishes_at(job: &Job) -> Millis {
    started_at(job).saturating_add(job.timings.running_ms)
}

fn finish_validation(job: &mut Job, now: Millis) -> bool {
    let at = validated_at(job);
    if now < at {
        return false;
    }
    match job.analysis.problem.clone() {
        Some(problem) => {
            job.status = Status::Failed;
            job.finished_at = Some(secs(at));
            job.push_event(at, "error", "job_error", problem.message.clone(), None);
            job.error = Some(problem);
        }
        None => {
            job.status = Status::Queued;
            job.note(
                at,
                "training_data_download_complete",
                "Files validated, moving job to queued state".to_owned(),
            );
        }
    }
    true
}

fn start_running(job: &mut Job, now: Millis) -> bool {
    let at = started_at(job);
    if now < at {
        return false;
    }
    job.hyper = job.hyper.resolve(job.analysis.examples);
    let (epochs, batch) = job.hyper.epochs_and_batch();
    job.plan = Some(Plan::new(
        job.analysis.examples,
        epochs,
        batch,
        job.timings.samples,
    ));
    job.status = Status::Running;
    job.estimated_finish = Some(secs(finishes_at(job)));
    job.note(at, "training_start", "Fine-tuning job started".to_owned());
    true
}

fn run(job: &mut Job, now: Millis) -> Option<StoredFile> {
    let plan = job.plan?;
    emit_metrics(job, &plan, now);
    let at = finishes_at(job);
    if now < at {
        return None;
    }
    Some(succeed(job, &plan, at))
}

fn emit_metrics(job: &mut Job, plan: &Plan, now: Millis) {
    let start = started_at(job);
    let samples = i64::from(plan.samples.max(1));
    while job.samples_emitted < plan.samples {
        let k = job.samples_emitted + 1;
        let at =
            start.saturating_add(job.timings.running_ms.saturating_mul(i64::from(k)) / samples);
        if at > now {
            break;
        }
        let step = plan.sample_step(k);
        let loss = training::train_loss(job.request.seed, step, plan.total_steps);
        let accuracy = training::token_accuracy(job.request.seed, step, plan.total_steps);
        let data = json!({
            "step": step,
            "total_steps": plan.total_steps,
            "train_loss": loss,
            "train_mean_token_accuracy": accuracy,
        });
        let message = format!("Step {step}/{}: training loss={loss:.2}", plan.total_steps);
        let previous = if k > 1 { plan.sample_step(k - 1) } else { 0 };
        job.push_event(at, "info", "metrics", message, Some(data));
        job.samples_emitted = k;
        if job.dialect() == Dialect::Together {
            note_epochs(job, plan, previous, step, at);
        }
    }
}

// Together reports each finished epoch as an `epoch_complete` event.
fn note_epochs(job: &mut Job, plan: &Plan, from_step: u32, to_step: u32, at: Millis) {
    let per_epoch = plan.steps_per_epoch.max(1);
    for epoch in (from_step / per_epoch + 1)..=(to_step / per_epoch) {
        let message = format!("Epoch completed, at step {}", epoch * per_epoch);
        job.note(at, "epoch_complete", message);
    }
}

fn succeed(job: &mut Job, plan: &Plan, at: Millis) -> StoredFile {
    add_checkpoints(job, plan, at);
    let model = job.planned_model.clone();
    job.note(
        at,
        "model_upload_complete",
        format!("New fine-tuned model created: {model}"),
    );
    job.note(
        at,
        "job_complete",
        "The job has successfully completed".to_owned(),
    );
    let tokens = (job.analysis.content_chars as u64).div_ceil(4);
    job.trained_tokens = Some(tokens * u64::from(plan.epochs));
    job.status = Status::Succeeded;
    job.fine_tuned_model = Some(model);
    job.finished_at = Some(secs(at));
    job.estimated_finish = None;
    let file = StoredFile {
        id: ids::new_id("file-"),
        filename: "step_metrics.csv".to_owned(),
        purpose: "fine-tune-results".to_owned(),
        bytes: training::results_csv(plan, job.request.seed).into_bytes(),
        created_at: secs(at),
        dialect: job.dialect(),
    };
    job.result_files = vec![file.id.clone()];
    file
}

// Checkpoint events are logged when the job finishes (events are only ever appended in time
// order, so clients paging with `after` never miss one); each checkpoint keeps its step's time.
fn add_checkpoints(job: &mut Job, plan: &Plan, finished: Millis) {
    let start = started_at(job);
    let steps = match job.checkpoint_count() {
        Some(count) => plan.evenly_spaced_steps(count),
        None => plan.checkpoint_steps(),
    };
    let last = steps.last().copied();
    for step in steps {
        let elapsed = job.timings.running_ms.saturating_mul(i64::from(step));
        let at = start.saturating_add(elapsed / i64::from(plan.total_steps.max(1)));
        // The final checkpoint is the fine-tuned model itself.
        let model = if Some(step) == last {
            job.planned_model.clone()
        } else {
            format!("{}:ckpt-step-{step}", job.planned_model)
        };
        job.note(
            finished,
            "checkpoint_save",
            format!("Checkpoint created at step {step}: {model}"),
        );
        job.checkpoints.push(Checkpoint {
            id: ids::new_id(job.dialect().checkpoint_prefix()),
            created_at: secs(at),
            model,
            step,
            train_loss: training::train_loss(job.request.seed, step, plan.total_steps),
            accuracy: training::token_accuracy(job.request.seed, step, plan.total_steps),
        });
    }
}
