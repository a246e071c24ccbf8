//! Tests of the harness's process runner itself: environment, working directory, CLI config,
//! timeouts and failure reports. A shell stands in for Terraform so each case is exact and fast.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{LocalProvider, PROVIDER_SOURCE, Terraform, Workdir};

fn shell() -> Terraform {
    Terraform {
        bin: PathBuf::from("/bin/sh"),
        version: "0.0.0".to_string(),
    }
}

/// Terraform sees the workdir's own CLI config, the harness's variables and the test's own, and
/// runs in the working directory.
#[test]
fn run_sets_environment_and_directory() {
    let mut wd = Workdir::new(&shell());
    wd.env("HARNESS_PROBE", "probe-value");
    let out = wd.run(&[
        "-c",
        "pwd; echo cfg=$TF_CLI_CONFIG_FILE; echo cp=$CHECKPOINT_DISABLE; \
         echo auto=$TF_IN_AUTOMATION; echo probe=$HARNESS_PROBE",
    ]);
    out.assert_success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    let pwd = PathBuf::from(lines[0]).canonicalize().unwrap();
    assert_eq!(pwd, wd.path().canonicalize().unwrap());
    assert_eq!(
        lines[1],
        format!("cfg={}", wd.cli_config().display()),
        "{}",
        out.combined()
    );
    assert_eq!(&lines[2..], ["cp=1", "auto=1", "probe=probe-value"]);
}

/// `Workdir::new` overrides our provider's address to the directory cargo built it in.
#[test]
fn new_points_dev_overrides_at_the_fresh_binary() {
    let wd = Workdir::new(&shell());
    let config = std::fs::read_to_string(wd.cli_config()).unwrap();
    let dir = common::provider_binary().parent().unwrap().to_path_buf();
    let expected = format!(
        "{} = {}",
        common::hcl_string(PROVIDER_SOURCE),
        common::hcl_string(&dir.to_string_lossy())
    );
    assert!(config.contains("dev_overrides"), "{config}");
    assert!(config.contains(&expected), "{config}");
    assert!(config.contains("direct {}"), "{config}");
}

/// `Workdir::with_mirror` lays the binary out as Terraform's unpacked mirror layout expects.
#[test]
fn with_mirror_lays_out_the_binary() {
    let wd = Workdir::with_mirror(&shell());
    let p = LocalProvider::azurebackup();
    let version = env!("CARGO_PKG_VERSION");
    let file = wd
        .cli_dir()
        .join("mirror")
        .join(PROVIDER_SOURCE)
        .join(version)
        .join(common::platform())
        .join(format!("terraform-provider-azurebackup_v{version}"));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(&p.binary).unwrap(),
        "{}",
        file.display()
    );
    let config = std::fs::read_to_string(wd.cli_config()).unwrap();
    assert!(config.contains("filesystem_mirror"), "{config}");
    assert!(!config.contains("direct"), "{config}");
}

/// A run that outlives its timeout is killed with everything it started, and reported as such.
#[test]
fn run_kills_the_process_group_on_timeout() {
    let mut wd = Workdir::new(&shell());
    wd.timeout(Duration::from_millis(300));
    // The background sleep keeps stdout open: only killing the whole group lets the run end.
    let out = wd.run(&["-c", "echo started; sleep 30 & sleep 30"]);
    assert!(out.timed_out, "{}", out.combined());
    assert!(!out.success());
    assert_eq!(out.stdout.trim(), "started");
    assert!(out.stderr.contains("timeout"), "{}", out.stderr);
    assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
}

/// A failing run's assertion message carries the command, exit code and both streams.
#[test]
fn assert_success_reports_the_full_output() {
    let wd = Workdir::new(&shell());
    let out = wd.run(&["-c", "echo out-marker; echo err-marker >&2; exit 3"]);
    assert_eq!(out.status, 3);
    assert!(!out.success());
    out.assert_failure();
    let message = panic_message(|| {
        out.assert_success();
    });
    for needle in ["out-marker", "err-marker", "exited with 3", "/bin/sh -c"] {
        assert!(
            message.contains(needle),
            "{needle:?} missing from {message}"
        );
    }
    let message = panic_message(|| {
        out.assert_contains("absent-needle");
    });
    assert!(message.contains("absent-needle") && message.contains("out-marker"));
}

/// Inherited machine settings that would make runs depend on the machine (plugin cache, CLI
/// arguments, Azure credentials) are not passed on; everything else is, and the test's own `env`
/// wins.
#[test]
fn run_drops_machine_specific_variables() {
    let mut wd = Workdir::new(&shell());
    wd.env("ARM_SUBSCRIPTION_ID", "from-test");
    let inherited = [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HARNESS_KEEP", "kept".to_string()),
        ("ARM_CLIENT_SECRET", "machine-secret".to_string()),
        ("ARM_SUBSCRIPTION_ID", "machine-sub".to_string()),
        ("TF_CLI_ARGS_plan", "-refresh=false".to_string()),
        ("TF_PLUGIN_CACHE_DIR", "/tmp/machine-cache".to_string()),
        ("TF_CLI_CONFIG_FILE", "/nonexistent/machine.rc".to_string()),
        ("TF_LOG", "trace".to_string()),
    ]
    .map(|(k, v)| (k.into(), v.into()));
    let out = wd.run_inheriting(
        &[
            "-c",
            "echo ${HARNESS_KEEP-unset} ${ARM_SUBSCRIPTION_ID-unset} ${ARM_CLIENT_SECRET-unset} \
             ${TF_CLI_ARGS_plan-unset} ${TF_PLUGIN_CACHE_DIR-unset} ${TF_LOG-unset}; \
             echo $TF_CLI_CONFIG_FILE",
        ],
        inherited,
    );
    out.assert_success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    // TF_LOG stays: a developer debugging a failing test wants Terraform's log.
    assert_eq!(lines[0], "kept from-test unset unset unset trace");
    assert_eq!(lines[1], wd.cli_config().display().to_string());
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Version comparisons gate tests of features that old cores lack.
#[test]
fn version_comparisons() {
    let tf = |v: &str| Terraform {
        bin: PathBuf::from("terraform"),
        version: v.to_string(),
    };
    assert_eq!(tf("1.11.4").version_tuple(), (1, 11, 4));
    assert_eq!(tf("1.6.0-beta1").version_tuple(), (1, 6, 0));
    assert!(tf("1.11.4").at_least(1, 6));
    assert!(tf("1.6.0").at_least(1, 6));
    assert!(!tf("1.11.4").at_least(1, 12));
    assert!(!tf("1.0.3").at_least(1, 3));
    assert!(tf("2.0.0").at_least(1, 99));
}

/// `json()` parses stdout, and a non-JSON stdout fails with the whole output shown.
#[test]
fn json_parses_stdout() {
    let wd = Workdir::new(&shell());
    let out = wd.run(&["-c", r#"echo '{"terraform_version":"9.9.9"}'"#]);
    assert_eq!(out.json()["terraform_version"], "9.9.9");
    let out = wd.run(&["-c", "echo not-json"]);
    let message = panic_message(|| {
        out.json();
    });
    assert!(message.contains("not-json"), "{message}");
}
