//! Checks the release packaging (`scripts/package-release.sh`, run by `make release`): the
//! archive, manifest and checksums are what the Registry layout expects, Terraform itself installs
//! the archive from a mirror, the binary inside performs the plugin handshake, and the emulator's
//! own archive holds a working emulator. To stay fast it packages the debug binaries cargo built
//! for the tests; `make release` packages a release build.

mod azure_support;
mod common;
mod release_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{
    PROVIDER_SOURCE, Workdir, emulator_binary, hcl_string, newest_terraform, platform,
    provider_binary, repo_root, terraforms,
};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const MANIFEST: &str = r#"{"version":1,"metadata":{"protocol_versions":["6.0"]}}"#;

fn zip_name() -> String {
    format!(
        "terraform-provider-azurebackup_{VERSION}_{}.zip",
        platform()
    )
}

fn emulator_zip_name() -> String {
    format!("azurebackup-emulator_{VERSION}_{}.zip", platform())
}

/// Unpacks every entry of `zip` into `dest`, keeping the Unix modes.
fn unzip(zip: &Path, dest: &Path) {
    let extract = Command::new("python3")
        .args([
            "-c",
            "import os, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist():\n \
             p = z.extract(i, sys.argv[2]); os.chmod(p, i.external_attr >> 16 & 0o777)",
        ])
        .arg(zip)
        .arg(dest)
        .status()
        .expect("run python3");
    assert!(extract.success());
}

/// `name mode size` of each zip entry, read with python3's zipfile (no zip crate needed).
fn zip_listing(zip: &Path) -> String {
    let listing = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): \
             print(i.filename, oct(i.external_attr >> 16), i.file_size)",
        ])
        .arg(zip)
        .output()
        .expect("run python3");
    assert!(listing.status.success(), "{listing:?}");
    String::from_utf8_lossy(&listing.stdout).trim().to_string()
}

/// Runs the packaging script into a fresh folder and returns it (kept alive by the TempDir).
fn package() -> tempfile::TempDir {
    package_with(&[])
}

/// [`package`] with extra environment (`GPG_FINGERPRINT`, `GNUPGHOME`).
fn package_with(env: &[(&str, &Path)]) -> tempfile::TempDir {
    let dist = tempfile::Builder::new()
        .prefix("release-")
        .tempdir()
        .expect("temporary directory");
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("scripts/package-release.sh"))
        .env("BIN", provider_binary())
        .env("EMULATOR_BIN", emulator_binary())
        .env("DIST", dist.path())
        .env_remove("GPG_FINGERPRINT")
        .env_remove("SOURCE")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run package-release.sh");
    assert!(
        out.status.success(),
        "package-release.sh failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    let printed: Vec<&str> = printed.lines().collect();
    assert_eq!(
        printed,
        [
            dist.path().join(zip_name()).display().to_string(),
            dist.path().join(emulator_zip_name()).display().to_string()
        ]
    );
    dist
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"))
}

/// The four release files and the mirror folder exist, the manifest is the Registry's protocol-6 manifest, the
/// checksums verify, the provider zip holds exactly the executable under its versioned name and
/// the emulator zip exactly the emulator.
#[test]
fn release_archive_is_complete_and_checksummed() {
    let dist = package();
    let mut files: Vec<String> = std::fs::read_dir(dist.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let manifest_name = format!("terraform-provider-azurebackup_{VERSION}_manifest.json");
    let sums_name = format!("terraform-provider-azurebackup_{VERSION}_SHA256SUMS");
    // No signature without GPG_FINGERPRINT; the network mirror beside the files.
    let mut expected = vec![
        zip_name(),
        manifest_name.clone(),
        sums_name.clone(),
        emulator_zip_name(),
        "mirror".to_string(),
    ];
    expected.sort();
    assert_eq!(files, expected);

    let top =
        std::fs::read_to_string(repo_root().join("terraform-registry-manifest.json")).unwrap();
    assert_eq!(json(&top), json(MANIFEST));
    let shipped = std::fs::read_to_string(dist.path().join(&manifest_name)).unwrap();
    assert_eq!(json(&shipped), json(MANIFEST));

    let sums = std::fs::read_to_string(dist.path().join(&sums_name)).unwrap();
    let mut listed: Vec<&str> = sums
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap_or_default())
        .collect();
    listed.sort();
    let mut want = vec![zip_name(), manifest_name, emulator_zip_name()];
    want.sort();
    assert_eq!(listed, want, "{sums}");
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", &sums_name])
        .current_dir(dist.path())
        .output()
        .expect("run sha256sum");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    // Entry names and Unix modes.
    let size = std::fs::metadata(provider_binary()).unwrap().len();
    assert_eq!(
        zip_listing(&dist.path().join(zip_name())),
        format!("terraform-provider-azurebackup_v{VERSION} 0o100755 {size}"),
    );
    let size = std::fs::metadata(emulator_binary()).unwrap().len();
    assert_eq!(
        zip_listing(&dist.path().join(emulator_zip_name())),
        format!("azurebackup-emulator 0o100755 {size}"),
    );
}

/// The emulator from its archive runs: `--help` lists its flags, and started on loopback it
/// prints its JSON start-up line with an endpoint that accepts connections.
#[test]
fn released_emulator_starts() {
    let dist = package();
    let unpacked = tempfile::tempdir().unwrap();
    unzip(&dist.path().join(emulator_zip_name()), unpacked.path());
    let bin = unpacked.path().join("azurebackup-emulator");
    let help = Command::new(&bin)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .expect("run the emulator");
    assert!(help.status.success(), "{help:?}");
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in ["--listen", "--state", "--knobs", "--throttle-rate"] {
        assert!(text.contains(flag), "{flag} missing from --help:\n{text}");
    }

    let mut child = Command::new(&bin)
        .args(["--listen", "127.0.0.1:0", "--http"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    let v = json(line.trim());
    let endpoint = v["endpoint"].as_str().unwrap_or_default().to_string();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{line}");
    assert_eq!(v["admin"], format!("{endpoint}/admin"));
    assert_eq!(
        v["env"]["ARM_RESOURCE_MANAGER_ENDPOINT"],
        format!("{endpoint}/")
    );
}

/// Puts the archive into a packed-layout filesystem mirror and returns the CLI config using it.
fn packed_mirror(dist: &Path, mirror: &Path) -> String {
    let dir = mirror.join(PROVIDER_SOURCE);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(dist.join(zip_name()), dir.join(zip_name())).unwrap();
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path = {}\n  }}\n}}\n",
        hcl_string(&mirror.to_string_lossy())
    )
}

/// Terraform accepts the archive as users would get it: `init` from a packed mirror unpacks the
/// very binary we built, executable, on every supported core.
#[test]
fn terraform_installs_the_release_archive() {
    let dist = package();
    for tf in terraforms() {
        let mirror = tempfile::tempdir().unwrap();
        let wd = Workdir::with_cli_config(&tf, &packed_mirror(dist.path(), mirror.path()));
        wd.write(
            "main.tf",
            &format!(
                r#"terraform {{
  required_providers {{
    azurebackup = {{
      source  = "azurebackup/azurebackup"
      version = "{VERSION}"
    }}
  }}
}}
"#
            ),
        );
        wd.run(&["init", "-no-color"]).assert_success();
        let installed = wd
            .path()
            .join(".terraform/providers")
            .join(PROVIDER_SOURCE)
            .join(VERSION)
            .join(platform())
            .join(format!("terraform-provider-azurebackup_v{VERSION}"));
        let bytes = std::fs::read(&installed)
            .unwrap_or_else(|e| panic!("Terraform {}: {}: {e}", tf.version, installed.display()));
        assert!(
            bytes == std::fs::read(provider_binary()).unwrap(),
            "Terraform {}: unpacked binary differs from the built one",
            tf.version
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&installed).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "not executable: {mode:o}");
        let lock = wd.read(".terraform.lock.hcl");
        assert!(lock.contains(PROVIDER_SOURCE), "{lock}");
    }
}

/// The binary from the archive speaks go-plugin's handshake: one line
/// `1|6|tcp|127.0.0.1:PORT|grpc|` (no certificate with TLS disabled), and something listens there.
#[test]
fn released_binary_performs_the_plugin_handshake() {
    let dist = package();
    let unpacked = tempfile::tempdir().unwrap();
    unzip(&dist.path().join(zip_name()), unpacked.path());
    let bin = unpacked
        .path()
        .join(format!("terraform-provider-azurebackup_v{VERSION}"));
    let line = handshake_line(&bin);
    assert!(
        line.starts_with("1|6|tcp|127.0.0.1:"),
        "handshake line: {line:?}"
    );
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 6, "{line:?}");
    assert_eq!(fields[4], "grpc", "{line:?}");
    assert_eq!(
        fields[5], "",
        "no certificate expected without TLS: {line:?}"
    );
}

/// Starts `bin` as Terraform would (without TLS), returns its first stdout line once it proved
/// to be listening, then kills it.
fn handshake_line(bin: &Path) -> String {
    let mut child = Command::new(bin)
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("TF_DISABLE_PLUGIN_TLS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let (etx, erx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut buf);
        let _ = etx.send(buf);
    });
    let line = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
    let listening = line.trim_end().split('|').nth(3).and_then(|addr| {
        std::net::TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(5)).ok()
    });
    let _ = child.kill();
    let status = child.wait();
    let stderr = erx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    assert!(
        !line.is_empty(),
        "no handshake line within 20 s (process ended: {status:?}); stderr:\n{stderr}"
    );
    assert!(
        listening.is_some(),
        "nothing accepts connections at the handshake address: {line:?}; stderr:\n{stderr}"
    );
    line.trim_end().to_string()
}

fn sums_name() -> String {
    format!("terraform-provider-azurebackup_{VERSION}_SHA256SUMS")
}

/// With `GPG_FINGERPRINT` (a throwaway key in a temporary `GNUPGHOME`), SHA256SUMS gets a
/// detached signature `SHA256SUMS.sig` that `gpg --verify` accepts as made by that key, and that
/// it refuses for a SHA256SUMS changed after signing.
#[test]
fn sha256sums_is_signed_with_the_given_key() {
    let gpg = release_support::GpgHome::new();
    let fingerprint = std::ffi::OsString::from(&gpg.fingerprint);
    let dist = package_with(&[
        ("GPG_FINGERPRINT", Path::new(&fingerprint)),
        ("GNUPGHOME", gpg.dir.path()),
    ]);
    let sums = dist.path().join(sums_name());
    let sig = dist.path().join(format!("{}.sig", sums_name()));
    let bytes = std::fs::read(&sig).expect("SHA256SUMS.sig written");
    assert!(
        !bytes.starts_with(b"-----BEGIN"),
        "a binary signature, as the Registry wants"
    );
    let (sig_s, sums_s) = (sig.to_string_lossy(), sums.to_string_lossy());
    let status = gpg.gpg(&["--status-fd", "1", "--verify", &sig_s, &sums_s]);
    assert!(
        status.contains(&format!("[GNUPG:] VALIDSIG {}", gpg.fingerprint)),
        "{status}"
    );

    let tampered = dist.path().join("tampered");
    let mut text = std::fs::read_to_string(&sums).unwrap();
    text = text.replacen(&text[..1], if &text[..1] == "0" { "1" } else { "0" }, 1);
    std::fs::write(&tampered, text).unwrap();
    let refused = gpg.gpg_output(&["--verify", &sig_s, &tampered.to_string_lossy()]);
    assert!(!refused.status.success(), "a changed SHA256SUMS verified");
}

/// `dist/mirror/<hostname>/<namespace>/<type>/` is a provider network mirror: `index.json` lists
/// the version, `<version>.json` this platform's archive (a copy of the Registry zip beside it)
/// with the `zh:` hash of that zip.
#[test]
fn release_writes_a_network_mirror_layout() {
    let dist = package();
    let dir = dist.path().join("mirror").join(PROVIDER_SOURCE);
    let index = json(&std::fs::read_to_string(dir.join("index.json")).unwrap());
    assert_eq!(index, serde_json::json!({"versions": {VERSION: {}}}));
    let zip = std::fs::read(dist.path().join(zip_name())).unwrap();
    assert_eq!(std::fs::read(dir.join(zip_name())).unwrap(), zip);
    let version = json(&std::fs::read_to_string(dir.join(format!("{VERSION}.json"))).unwrap());
    assert_eq!(
        version,
        serde_json::json!({"archives": {platform(): {
            "url": zip_name(),
            "hashes": [format!("zh:{}", sha256_hex(&dist.path().join(zip_name())))],
        }}})
    );
}

/// SHA-256 of a file as lowercase hex, from `sha256sum`.
fn sha256_hex(file: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(file)
        .output()
        .expect("run sha256sum");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A platform team's path: `dist/mirror` served over loopback HTTPS (a test CA trusted through
/// `SSL_CERT_FILE`), and `terraform init` with only a `network_mirror` block installs the very
/// binary we built, checked against the mirror's `zh:` hash, which the lock file records, on
/// every supported core. Prints each core's install lines.
#[test]
fn terraform_installs_from_the_network_mirror_over_https() {
    let dist = package();
    let pki = azure_support::TestPki::new();
    let server = release_support::StaticServer::start(
        &dist.path().join("mirror"),
        pki.server_config.clone(),
    );
    let ca = dist.path().join("mirror-ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let h1 = h1_of_zip(&dist.path().join(zip_name()));
    let config = format!(
        "provider_installation {{\n  network_mirror {{\n    url = {}\n  }}\n}}\n",
        hcl_string(&server.url)
    );
    for tf in terraforms() {
        let mut wd = Workdir::with_cli_config(&tf, &config);
        wd.env("SSL_CERT_FILE", &ca.to_string_lossy());
        wd.write("main.tf", &required(VERSION));
        let init = wd.run(&["init", "-no-color", "-input=false"]);
        init.assert_success();
        let log = init.combined();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("azurebackup/azurebackup"))
            .collect();
        println!("Terraform {}:\n  {}", tf.version, lines.join("\n  "));
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("Installed azurebackup/azurebackup v{VERSION}"))),
            "Terraform {}: {log}",
            tf.version
        );
        let installed = wd
            .path()
            .join(".terraform/providers")
            .join(PROVIDER_SOURCE)
            .join(VERSION)
            .join(platform())
            .join(format!("terraform-provider-azurebackup_v{VERSION}"));
        let bytes = std::fs::read(&installed)
            .unwrap_or_else(|e| panic!("Terraform {}: {}: {e}", tf.version, installed.display()));
        assert!(
            bytes == std::fs::read(provider_binary()).unwrap(),
            "Terraform {}: the installed binary differs from the built one",
            tf.version
        );
        // The zh: hash was checked ("verified checksum"); the lock records the package's h1:.
        assert!(
            lines.iter().any(|l| l.contains("(verified checksum)")),
            "Terraform {}: {log}",
            tf.version
        );
        let lock = wd.read(".terraform.lock.hcl");
        assert!(
            lock.contains(&h1),
            "Terraform {}: {h1} not in {lock}",
            tf.version
        );
    }
    let requests = server.requests();
    println!("mirror requests:\n  {}", requests.join("\n  "));
    let base = format!("/{PROVIDER_SOURCE}");
    for path in [
        format!("GET {base}/index.json -> 200"),
        format!("GET {base}/{VERSION}.json -> 200"),
        format!("GET {base}/{} -> 200", zip_name()),
    ] {
        assert!(requests.contains(&path), "{path} not in {requests:#?}");
    }

    // The check is real: with another zh: hash in <version>.json, init refuses the zip.
    let tf = newest_terraform();
    let version_json = dist
        .path()
        .join("mirror")
        .join(PROVIDER_SOURCE)
        .join(format!("{VERSION}.json"));
    let doc = std::fs::read_to_string(&version_json).unwrap();
    let good = format!("zh:{}", sha256_hex(&dist.path().join(zip_name())));
    let bad = format!("zh:{}", "0".repeat(64));
    std::fs::write(&version_json, doc.replace(&good, &bad)).unwrap();
    let mut wd = Workdir::with_cli_config(&tf, &config);
    wd.env("SSL_CERT_FILE", &ca.to_string_lossy());
    wd.write("main.tf", &required(VERSION));
    let refused = wd.run(&["init", "-no-color", "-input=false"]);
    refused.assert_failure();
    let text = refused.combined();
    assert!(
        text.contains("checksum"),
        "Terraform {}: {text}",
        tf.version
    );
}

/// `terraform { required_providers { azurebackup = { version = VERSION } } }`.
fn required(version: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    azurebackup = {{\n      source  = \"azurebackup/azurebackup\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n"
    )
}

/// Terraform's `h1:` hash of a provider zip (Go's dirhash Hash1 over its entries: SHA-256 of
/// the lines `<sha256 hex>  <name>` in name order, base64), from python3.
fn h1_of_zip(zip: &Path) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import base64, hashlib, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\n\
             lines = ''.join('%s  %s\\n' % (hashlib.sha256(z.read(n)).hexdigest(), n) \
             for n in sorted(z.namelist()))\n\
             print('h1:' + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode())",
        ])
        .arg(zip)
        .output()
        .expect("run python3");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
