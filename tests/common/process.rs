//! Terraform runs the tests act on while they work: started in the background, waited for
//! with a bound, and their provider found (and killed) among their descendants.
#![allow(dead_code)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::{TfOutput, Workdir};

/// `terraform apply` running in the background, for tests that act while it works.
pub fn spawn_apply(wd: &Workdir) -> std::process::Child {
    wd.command(&["apply", "-input=false", "-auto-approve", "-no-color"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("apply")
}

pub fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) {
    let started = Instant::now();
    while !f() {
        assert!(
            started.elapsed() < limit,
            "condition not reached within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn wait_bounded(mut child: std::process::Child, limit: Duration) -> TfOutput {
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code().unwrap_or(-1);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            kill(child.id(), "KILL");
            break -1;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: Option<&mut dyn std::io::Read>| {
        let mut s = String::new();
        if let Some(p) = p {
            let _ = p.read_to_string(&mut s);
        }
        s
    };
    let stdout = read(child.stdout.as_mut().map(|p| p as &mut dyn std::io::Read));
    let stderr = read(child.stderr.as_mut().map(|p| p as &mut dyn std::io::Read));
    TfOutput {
        status,
        stdout,
        stderr,
        timed_out: status == -1,
        elapsed: started.elapsed(),
        command: "apply".into(),
    }
}

pub fn descendants_of(pid: u32) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for (child, comm) in children_of(p) {
            todo.push(child);
            out.push((child, comm));
        }
    }
    out
}

/// (pid, comm) of the direct children of `pid`, from /proc.
pub fn children_of(pid: u32) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // comm is in parentheses and may contain spaces; ppid is the second field after it.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_owned();
        let ppid = stat[close + 2..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push((child, comm));
        }
    }
    out
}

pub fn kill(pid: u32, signal: &str) {
    let _ = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status();
}
