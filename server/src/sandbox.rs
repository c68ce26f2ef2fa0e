//! jq filters run in a worker process, so no filter can take the server down.
//!
//! jaq has no memory budget of its own, and in Rust an allocation that fails aborts the
//! process: `"x" * 1e12` asks for a terabyte at once, `reduce range(40) as $_ ("x";
//! .+.)` doubles a string until the machine runs out. In this process either would
//! end every stream and every poll. So the server runs each jq step in a child — this
//! same binary, started as `wallboard jq-worker <bytes>` — which bounds itself before
//! it reads anything:
//!
//! - memory: `RLIMIT_DATA` (heap and private mappings, thread stacks included) at the
//!   pipeline's byte budget plus the evaluation stack; past it an allocation fails and
//!   the child aborts;
//! - CPU time: `RLIMIT_CPU` a little past jq's own 5 s budget;
//! - no core dumps, no files beyond its pipes, an empty environment.
//!
//! The parent writes the request and the rows (JSON, written straight from the
//! columns) to the child's stdin and reads the child's answer a line per result while
//! the child runs (`JqAnswer`), into columns again, stopping at the row and byte caps
//! (the child then stops at its next write); it kills the child at the wall-clock
//! deadline. Whatever happens to the child, the step fails with a message naming the
//! bound it hit, and the server goes on. Starting a child costs a few milliseconds per
//! jq step, against polling intervals of a second or more.

use app::pipeline::{
    JqAnswer, JqFilter, JqOutput, JqRequest, JqRunner, Limits, MAX_OUTPUT_BYTES, TIME_LIMIT_MS,
};
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The command-line word that starts a worker.
pub const WORKER_COMMAND: &str = "jq-worker";

/// The stack the worker evaluates on: jq's own depth budget (64 MiB) and room to
/// drop what it built. A deeper drop overflows it and ends the child, not the server.
const WORKER_STACK: usize = 128 << 20;

/// What the worker itself needs besides the budget: its binary's data, its pipes'
/// buffers, the parsed request.
const WORKER_BASE: usize = 64 << 20;

/// Runs jq steps in `wallboard jq-worker` children.
#[derive(Debug, Clone)]
pub struct JqWorker {
    /// The `wallboard` binary (this one, when the server runs as itself).
    pub exe: PathBuf,
    /// Most bytes a child may hold: the pipeline's byte budget.
    pub memory_bytes: usize,
}

impl JqRunner for JqWorker {
    fn run(&self, filter: &JqFilter, input: Vec<u8>, limits: &Limits) -> Result<JqOutput, String> {
        let started = Instant::now();
        let mut child = Command::new(&self.exe)
            .arg(WORKER_COMMAND)
            .arg(self.memory_bytes.to_string())
            .env_clear()
            // One malloc arena: no 64 MiB reservation per thread.
            .env("MALLOC_ARENA_MAX", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("jq: cannot start its worker ({}): {e}", self.exe.display()))?;
        let request = serde_json::to_string(&JqRequest {
            filter: filter.source().to_string(),
        })
        .map_err(|e| format!("jq: {e}"))?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let writer = std::thread::spawn(move || {
            // A child that stops early closes its end: that is its answer, not ours.
            let _ = stdin
                .write_all(request.as_bytes())
                .and_then(|()| stdin.write_all(b"\n"))
                .and_then(|()| stdin.write_all(&input));
        });
        let stdout = child.stdout.take().expect("stdout is piped");
        let limits = *limits;
        // The answer is read as the worker writes it: rows are made while jq runs.
        let reader = std::thread::spawn(move || read_answer(stdout, &limits));
        let stderr = child.stderr.take().expect("stderr is piped");
        let errors = std::thread::spawn(move || read_capped(stderr, 4096));

        let deadline = started + Duration::from_millis(TIME_LIMIT_MS as u64 + 2_000);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("jq: lost its worker: {e}"));
                }
            }
        };
        let _ = writer.join();
        let answer = reader.join().unwrap_or(None);
        let stderr = String::from_utf8_lossy(&errors.join().unwrap_or_default()).into_owned();
        let Some(status) = status else {
            return Err(format!(
                "jq: the filter ran longer than {} seconds",
                TIME_LIMIT_MS as u64 / 1000
            ));
        };
        match answer {
            // The worker finished its answer, or the answer passed a bound (then the
            // worker stops at its next write).
            Some(Ok(out)) if status.success() => Ok(out),
            Some(Err(why)) => Err(why),
            _ => Err(why_it_stopped(status, &stderr, self.memory_bytes)),
        }
    }
}

/// Reads the worker's answer (see `JqAnswer`) as it comes, a line at a time. `None`
/// when it ends without saying so: the worker died.
fn read_answer(stdout: impl Read, limits: &Limits) -> Option<Result<JqOutput, String>> {
    // The longest line: one result of the most JSON all results may take.
    const MAX_LINE: u64 = MAX_OUTPUT_BYTES as u64 + 2;
    let mut answer = JqAnswer::new(limits);
    let mut stdout = std::io::BufReader::with_capacity(1 << 16, stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut stdout).take(MAX_LINE).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if line.pop() != Some(b'\n') {
            return (line.len() as u64 >= MAX_LINE - 1).then(|| {
                Err(format!(
                    "jq: the results take more than {} MiB of JSON",
                    MAX_OUTPUT_BYTES >> 20
                ))
            });
        }
        if let Err(why) = answer.line(&line) {
            return Some(Err(why));
        }
        if answer.ended() {
            return Some(answer.finish());
        }
    }
}

/// Says which bound a worker that did not finish hit.
fn why_it_stopped(status: std::process::ExitStatus, stderr: &str, memory_bytes: usize) -> String {
    let memory = || {
        format!(
            "jq: the filter needs more than {} MiB of memory; it was stopped \
             (WALLBOARD_PIPELINE_MAX_BYTES)",
            memory_bytes >> 20
        )
    };
    if stderr.contains("memory allocation of") || stderr.contains("capacity overflow") {
        return memory();
    }
    if stderr.contains("has overflowed its stack") {
        return "jq: the filter recursed too deeply".to_string();
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        match status.signal() {
            Some(libc::SIGXCPU) | Some(libc::SIGKILL) => {
                return format!(
                    "jq: the filter ran longer than {} seconds",
                    TIME_LIMIT_MS as u64 / 1000
                )
            }
            Some(libc::SIGABRT) | Some(libc::SIGSEGV) | Some(libc::SIGBUS) => return memory(),
            _ => {}
        }
    }
    tracing::warn!(%status, stderr = %stderr.chars().take(500).collect::<String>(), "jq worker failed");
    format!("jq: the filter failed ({status})")
}

/// Reads at most `cap` bytes of `from` (then drains the rest, so the child is not
/// blocked on a full pipe).
fn read_capped(mut from: impl Read, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = (&mut from).take(cap as u64).read_to_end(&mut out);
    let _ = std::io::copy(&mut from, &mut std::io::sink());
    out
}

/// `wallboard jq-worker <bytes>`: bounds this process, then answers one jq request
/// from stdin on stdout.
pub fn worker_main(memory_bytes: Option<&str>) -> ExitCode {
    let Some(memory_bytes) = memory_bytes.and_then(|b| b.parse::<usize>().ok()) else {
        eprintln!("wallboard jq-worker: give the memory budget in bytes");
        return ExitCode::from(2);
    };
    if let Err(e) = imp::bound_this_process(memory_bytes + WORKER_STACK + WORKER_BASE) {
        eprintln!("wallboard jq-worker: cannot bound itself: {e}");
        return ExitCode::FAILURE;
    }
    let stdin = std::io::stdin().lock();
    // (`Stdout`, not its lock: the answer is written from the thread jq runs on.)
    let stdout = std::io::stdout();
    match app::pipeline::serve_jq(stdin, stdout, WORKER_STACK) {
        // Exit without dropping what the run built: a deep value would recurse.
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("wallboard jq-worker: {e}");
            std::process::exit(1)
        }
    }
}

#[cfg(unix)]
mod imp {
    /// Caps this process's data (heap, thread stacks), CPU time, core dumps and files.
    pub fn bound_this_process(data_bytes: usize) -> std::io::Result<()> {
        let cpu_secs = super::TIME_LIMIT_MS as u64 / 1000 + 2;
        for (resource, value) in [
            (libc::RLIMIT_DATA, data_bytes as u64),
            (libc::RLIMIT_CPU, cpu_secs),
            (libc::RLIMIT_CORE, 0),
            (libc::RLIMIT_NOFILE, 16),
        ] {
            let limit = libc::rlimit {
                rlim_cur: value as libc::rlim_t,
                rlim_max: value as libc::rlim_t,
            };
            // SAFETY: setrlimit reads the struct we pass and changes only this process.
            if unsafe { libc::setrlimit(resource, &limit) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn bound_this_process(_data_bytes: usize) -> std::io::Result<()> {
        Err(std::io::Error::other(
            "process limits need a Unix system; jq steps cannot run here",
        ))
    }
}

/// How this server runs pipelines: its configured limits, jq in workers.
#[derive(Debug, Clone)]
pub struct PipelineHost {
    pub limits: Limits,
    pub jq: JqWorker,
}

impl PipelineHost {
    /// The environment of one run, `join` steps reading `datasets`.
    pub fn env<'a>(&'a self, datasets: &'a dyn app::pipeline::Lookup) -> app::pipeline::Env<'a> {
        app::pipeline::Env {
            limits: self.limits,
            datasets,
            jq: &self.jq,
        }
    }
}
