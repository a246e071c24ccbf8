//! Plan-time validations that passed earlier in the same Terraform command, remembered across
//! the provider processes Terraform starts for it, so that apply's re-plan does not validate again.
//!
//! Why: `terraform apply` plans every resource in one provider process and then, in another,
//! plans each one again right before applying it. Both plans look the same to a provider, so
//! both sent `validateForBackup` (a POST and at least one status poll): two of a create's
//! requests that told nothing new. Now the plan that validates leaves a mark for that instance
//! and body; a later plan in the same command that finds the mark skips the validation and hands
//! apply the same "validated at plan" (apply goes straight to the PUT, which the service checks
//! anyway, and validates after all on a permission or already-protected error).
//!
//! Marks are scoped to the Terraform process that started us (its PID and, on Linux, its start
//! time), so a separate `terraform plan` never vouches for a later `terraform apply`: each command
//! validates once. They are empty files named by a hash (no IDs, no secrets) in a directory of
//! the temp dir, taken (removed) when used, and ignored after [`MAX_AGE`]. A mark planted by
//! someone else can only make a re-plan skip a check the apply repeats; a mark that cannot be
//! written or read costs the re-plan's validation, nothing more. Off Unix there are no marks.
//!
//! No litter: a directory is removed when its last mark is taken, and every provider process that
//! looks for marks first removes the directories of Terraform commands that have ended — their
//! process is gone, or its PID now belongs to a process that started at another time (read from
//! `/proc/<pid>/stat`). Where `/proc` cannot tell, a directory goes after [`STALE_DIR`].

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Longest time between the plan and the re-plan of one command that a mark bridges (an
/// interactive apply waits for its "yes"); after that the re-plan validates again.
pub const MAX_AGE: Duration = Duration::from_secs(3600);
/// Directories whose command cannot be checked (no `/proc`, a name not ours) go after this.
const STALE_DIR: Duration = Duration::from_secs(24 * 3600);
const PREFIX: &str = "terraform-provider-azurebackup-plan-marks-";
/// Bound on the directory entries one sweep looks at.
const SWEEP_LIMIT: usize = 10_000;

/// The marks of one Terraform command.
#[derive(Debug, Clone)]
pub struct Marks {
    dir: PathBuf,
}

/// The key of one validation: the instance (case-insensitive) and the exact body validated.
pub fn key(instance_id: &str, body: &impl serde::Serialize) -> String {
    let mut h = std::hash::DefaultHasher::new();
    instance_id.to_ascii_lowercase().hash(&mut h);
    serde_json::to_string(body).unwrap_or_default().hash(&mut h);
    format!("{:016x}", h.finish())
}

impl Marks {
    /// The marks of the Terraform command that started this process; `None` off Unix.
    pub fn for_this_command() -> Option<Marks> {
        #[cfg(unix)]
        {
            let parent = std::os::unix::process::parent_id();
            let started = process_start(parent).unwrap_or_default();
            let tmp = std::env::temp_dir();
            let dir = tmp.join(format!("{PREFIX}{parent}-{started}"));
            // Once per provider process: a plan of many instances looks here for each.
            static SWEPT: std::sync::Once = std::sync::Once::new();
            SWEPT.call_once(|| sweep(&tmp, &dir));
            Some(Marks::at(dir))
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    /// Marks kept in `dir` (tests).
    pub fn at(dir: PathBuf) -> Marks {
        Marks { dir }
    }

    /// Remembers that the validation `key` passed. Best effort.
    pub fn mark(&self, key: &str) {
        // Twice: another process of this command may remove the directory as it empties it.
        let mut result = Ok(());
        for _ in 0..2 {
            if !self.dir.is_dir() {
                let _ = create_private_dir(&self.dir);
            }
            result = std::fs::write(self.dir.join(key), b"");
            if result.is_ok() {
                return;
            }
        }
        if let Err(e) = result {
            tracing::debug!(error = %e, "cannot leave a plan-time validation mark; the re-plan will validate again");
        }
    }

    /// Whether the validation `key` passed earlier in this command (within [`MAX_AGE`]); the
    /// mark is used up.
    pub fn take(&self, key: &str) -> bool {
        let path = self.dir.join(key);
        let fresh = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age <= MAX_AGE);
        let _ = std::fs::remove_file(&path);
        // The last mark taken leaves nothing behind (fails, harmlessly, while others remain).
        let _ = std::fs::remove_dir(&self.dir);
        fresh
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Removes the mark directories of Terraform commands that have ended (see [`ended`]).
#[cfg(unix)]
fn sweep(parent: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten().take(SWEEP_LIMIT) {
        let path = entry.path();
        let name = entry.file_name();
        let Some(owner) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        // Only directories (a symlink is not followed, and not one of ours).
        if path == keep || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_DIR);
        if old || ended(owner) == Some(true) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Whether the Terraform command a directory belongs to (`<pid>-<start time>`, the part of its
/// name after the prefix) has ended: its process is gone, or the PID now names a process that
/// started at another time. `None` when this cannot be told: a name not of that form, or no
/// `/proc` to look in.
#[cfg(unix)]
fn ended(owner: &str) -> Option<bool> {
    let (pid, started) = owner.split_once('-')?;
    let pid: u32 = pid.parse().ok()?;
    if started.is_empty() || !started.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !Path::new("/proc/self/stat").exists() {
        return None;
    }
    Some(process_start(pid).is_none_or(|now| now != started))
}

/// The start time (clock ticks since boot) of process `pid`, so that a reused PID is another
/// command. Linux only; elsewhere the PID alone scopes the marks (and [`MAX_AGE`] bounds them).
#[cfg(unix)]
fn process_start(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22; the command name (field 2) may hold spaces, so count after its closing ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_is_taken_once_and_is_keyed_by_instance_and_body() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let marks = Marks::at(tmp.path().join(format!("{PREFIX}test")));
        let a = key("/Sub/x/backupInstances/A", &serde_json::json!({"p": 1}));
        assert_eq!(
            a,
            key("/sub/X/backupinstances/a", &serde_json::json!({"p": 1}))
        );
        let b = key("/sub/x/backupInstances/a", &serde_json::json!({"p": 2}));
        assert_ne!(a, b);
        assert!(!marks.take(&a), "nothing marked yet");
        marks.mark(&a);
        assert!(!marks.take(&b), "another body is not vouched for");
        assert!(marks.take(&a));
        assert!(!marks.take(&a), "a mark is used once");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_command_is_scoped_by_parent_pid_and_start_time() {
        let m = Marks::for_this_command().expect("unix");
        let name = m.dir.file_name().unwrap().to_string_lossy().to_string();
        let parent = std::os::unix::process::parent_id();
        assert!(name.starts_with(&format!("{PREFIX}{parent}-")), "{name}");
        assert!(process_start(parent).is_some_and(|s| s.parse::<u64>().is_ok()));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn directories_of_ended_commands_are_swept_and_live_ones_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = |name: &str| {
            let p = tmp.path().join(name);
            std::fs::create_dir(&p).unwrap();
            std::fs::write(p.join("0123456789abcdef"), b"").unwrap();
            p
        };
        let me = std::process::id();
        let my_start = process_start(me).expect("own start time");
        // A command that has ended: a child that ran and was reaped.
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let child_start = process_start(child.id()).expect("child start time");
        let gone = dir(&format!("{PREFIX}{}-{child_start}", child.id()));
        child.kill().unwrap();
        child.wait().unwrap();
        let live = dir(&format!("{PREFIX}{me}-{my_start}"));
        // The PID is alive but started at another time: a reused PID, another command.
        let reused = dir(&format!(
            "{PREFIX}{me}-{}",
            my_start.parse::<u64>().unwrap() + 1
        ));
        let current = dir(&format!("{PREFIX}{}-1", u32::MAX));
        let unknown = dir(&format!("{PREFIX}test"));
        let other = dir("someone-elses-folder");
        sweep(tmp.path(), &current);
        assert!(!gone.exists(), "the folder of an ended command stays");
        assert!(!reused.exists(), "a reused PID vouches for another command");
        assert!(live.exists(), "a live command's folder was removed");
        assert!(current.exists(), "this command's own folder was removed");
        assert!(unknown.exists() && other.exists());
    }

    #[test]
    fn the_last_mark_taken_removes_the_folder() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let marks = Marks::at(tmp.path().join(format!("{PREFIX}1-1")));
        marks.mark("a");
        marks.mark("b");
        assert!(marks.take("a"));
        assert!(marks.dir.is_dir(), "a mark is still there");
        assert!(marks.take("b"));
        assert!(!marks.dir.exists(), "an empty folder was left behind");
        // Marking again after that works.
        marks.mark("c");
        assert!(marks.take("c"));
    }
}
